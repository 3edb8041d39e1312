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

#define IOAPIC 0xfec00000UL
#define COM1 0x3f8
#define COM1_VECTOR 0x34
#define LSR_DR 0x01

/* ---- the RX interrupt ----------------------------------------------- */

static volatile char rx[64];
static volatile uint32_t rx_len, rx_irqs, rx_iir;

__attribute__((target("general-regs-only"))) void com1_handler(void)
{
	uint8_t iir = inb(COM1 + 2);
	if (!rx_irqs++)
		rx_iir = iir;
	while ((inb(COM1 + 5) & LSR_DR)) {
		uint8_t b = inb(COM1);
		if (rx_len < sizeof(rx))
			rx[rx_len++] = (char)b;
	}
	*mb_lapic(0xb0) = 0;                               /* EOI */
}

void com1_isr(void), spurious_isr(void);
__asm__(".text\n"
	"com1_isr:\n"                                  /* 5 words + 9 pushes: aligned */
	"	push %rax\n	push %rcx\n	push %rdx\n	push %rsi\n	push %rdi\n"
	"	push %r8\n	push %r9\n	push %r10\n	push %r11\n"
	"	cld\n"
	"	call com1_handler\n"
	"	pop %r11\n	pop %r10\n	pop %r9\n	pop %r8\n"
	"	pop %rdi\n	pop %rsi\n	pop %rdx\n	pop %rcx\n	pop %rax\n"
	"	iretq\n"
	"spurious_isr:\n"
	"	iretq\n");

static uint64_t idt[256 * 2] __attribute__((aligned(16)));

static void gate(unsigned vector, void (*fn)(void))
{
	uint64_t h = (uint64_t)fn;
	uint16_t cs;
	__asm__ volatile("mov %%cs, %0" : "=r"(cs));
	idt[vector * 2] = (h & 0xffff) | (uint64_t)cs << 16 | 0x8eUL << 40 | ((h >> 16) & 0xffff) << 48;
	idt[vector * 2 + 1] = h >> 32;
}

static void rte_set(unsigned gsi, uint32_t low)
{
	volatile uint32_t *sel = (volatile uint32_t *)IOAPIC, *win = (volatile uint32_t *)(IOAPIC + 0x10);
	*sel = 0x10 + 2 * gsi + 1;
	*win = 0;
	*sel = 0x10 + 2 * gsi;
	*win = low;                                       /* fixed, edge, active high */
}

/* ---- time and polling ----------------------------------------------------- */

static uint64_t tsc_10ms;

static uint64_t tsc_per_10ms(void)
{
	outb(0x61, inb(0x61) & ~0x03);
	outb(0x43, 0xb0);
	outb(0x42, 11932 & 0xff);
	outb(0x42, 11932 >> 8);
	uint64_t t0 = rdtsc();
	outb(0x61, (inb(0x61) & ~0x02) | 0x01);
	for (unsigned spin = 0; spin < 100000000 && !(inb(0x61) & 0x20); spin++)
		;
	return rdtsc() - t0;
}

/* The next byte within 2 s, or -1. */
static int getc_poll(void)
{
	uint64_t end = rdtsc() + 200 * tsc_10ms;
	while (!(inb(COM1 + 5) & LSR_DR))
		if (rdtsc() > end)
			return -1;
	return inb(COM1);
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
	gate(COM1_VECTOR, com1_isr);
	gate(0xff, spurious_isr);
	struct __attribute__((packed)) { uint16_t limit; uint64_t base; } d = { sizeof(idt) - 1,
										 (uint64_t)idt };
	__asm__ volatile("lidt %0" : : "m"(d));
	outb(0x21, 0xff);
	outb(0xa1, 0xff);
	*mb_lapic(0xf0) = 0x1ff;
	for (unsigned pin = 0; pin < 24; pin++)
		rte_set(pin, 1u << 16);
	tsc_10ms = tsc_per_10ms();
	mb_check(tsc_10ms > 0, "PIT channel 2 measures 10 ms of TSC");

	char line[32];
	bool got = line_poll(line, sizeof(line));
	mb_check(got && !strcmp(line, "hello"), "a line read by polling LSR.DR: 'hello'");

	rte_set(4, COM1_VECTOR);
	outb(COM1 + 1, 0x01);                              /* IER: received data */
	uint64_t end = rdtsc() + 200 * tsc_10ms;
	__asm__ volatile("sti");
	while (rdtsc() < end && !(rx_len && rx[rx_len - 1] == '\n' && rx_len > 1))
		__asm__ volatile("pause");
	__asm__ volatile("cli");
	outb(COM1 + 1, 0x00);
	rte_set(4, 1u << 16);
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
		more |= inb(COM1 + 5) & LSR_DR;
	mb_check(!more, "then no more data (LSR.DR clear)");
}
