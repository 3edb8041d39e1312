/* mb-com1-in: COM1's receiver, fed from the runner's stdin as QEMU's
 * `-serial stdio` feeds it (tests/mb-tests.sh gives tests/mb/mb-com1-in.in
 * to both): a line read by polling LSR.DR and RBR, the next through the
 * RX-data interrupt (IER bit 0) on GSI 4 of the I/O APIC, then no more
 * data. Leading empty lines are skipped: the runtime's FIFO reset
 * (FCR 0xc7) may drop a byte that arrived before it, on QEMU as here.
 * Prints the same lines on QEMU and under ./sealvisor. */
#include "guest/mb/mb.h"
#include "lib/string.h"

const char *mb_name = "mb-com1-in";

#define COM1_VECTOR 0x34
#define LSR_DR 0x01

/* ---- the RX interrupt ----------------------------------------------- */

static volatile char rx[64];
static volatile uint32_t rx_len, rx_irqs, rx_iir;

static MB_HANDLER void com1_rx(void)
{
	uint8_t iir = inb(MB_COM1 + 2);
	if (!rx_irqs++)
		rx_iir = iir;
	while ((inb(MB_COM1 + 5) & LSR_DR)) {
		uint8_t b = inb(MB_COM1);
		if (rx_len < sizeof(rx))
			rx[rx_len++] = (char)b;
	}
	mb_lapic_eoi();
}

/* ---- time and polling ----------------------------------------------------- */

static uint64_t tsc_10ms;

/* The next byte within 2 s, or -1. */
static int getc_poll(void)
{
	uint64_t end = rdtsc() + 200 * tsc_10ms;
	while (!(inb(MB_COM1 + 5) & LSR_DR))
		if (rdtsc() > end)
			return -1;
	return inb(MB_COM1);
}

/* A non-empty line (without its '\n'), by polling; false on a timeout. */
static bool line_poll(char *buf, unsigned size)
{
	unsigned n = 0;
	int c;

	while ((c = getc_poll()) >= 0) {
		if (c == '\n' || c == '\r') {
			if (n)
				break;
			continue;
		}
		if (n + 1 < size)
			buf[n++] = (char)c;
	}
	buf[n] = 0;
	return c >= 0;
}

void mb_test(void)
{
	__asm__ volatile("cli");
	mb_isr_set(COM1_VECTOR, com1_rx);
	mb_isr_set(0xff, NULL);                            /* spurious */
	mb_idt_load();
	mb_pic_mask_all();
	*mb_lapic(0xf0) = 0x1ff;
	mb_ioapic_mask_all();
	tsc_10ms = mb_pit_tsc_10ms();
	mb_check(tsc_10ms > 0, "PIT channel 2 measures 10 ms of TSC");

	char line[32];
	bool got = line_poll(line, sizeof(line));
	mb_check(got && !strcmp(line, "hello"), "a line read by polling LSR.DR: 'hello'");

	mb_ioapic_route(4, COM1_VECTOR);
	outb(MB_COM1 + 1, 0x01);                              /* IER: received data */
	uint64_t end = rdtsc() + 200 * tsc_10ms;
	__asm__ volatile("sti");
	while (rdtsc() < end && !(rx_len && rx[rx_len - 1] == '\n' && rx_len > 1))
		__asm__ volatile("pause");
	__asm__ volatile("cli");
	outb(MB_COM1 + 1, 0x00);
	mb_ioapic_route(4, MB_RTE_MASKED);
	char got2[64];
	unsigned n = 0;
	for (unsigned i = 0; i < rx_len && n + 1 < sizeof(got2); i++)
		if (rx[i] != '\n' || n)
			got2[n++] = rx[i];
	got2[n] = 0;
	mb_check(!strcmp(got2, "world\n"), "the next through the RX interrupt (IER bit 0, GSI 4): 'world'");
	mb_check(rx_irqs >= 1 && ((rx_iir & 0x0f) == 0x04 || (rx_iir & 0x0f) == 0x0c),
		 "IIR said received data (or its FIFO timeout)");
	end = rdtsc() + 10 * tsc_10ms;
	bool more = false;
	while (rdtsc() < end)
		more |= inb(MB_COM1 + 5) & LSR_DR;
	mb_check(!more, "then no more data (LSR.DR clear)");
}
