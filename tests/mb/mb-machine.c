/* mb-machine: what a PC gives a kernel started by `qemu -kernel`, found
 * and used the way test kernels do: the ACPI tables (RSDP by search, RSDT,
 * MADT: one enabled local APIC per CPU), the CMOS clock, PCI
 * configuration mechanism 1 (a host bridge at 00:00.0), the PIT's channel
 * 2 to calibrate the TSC and the local APIC timer, the local APIC through
 * its xAPIC page (its timer's interrupts through an IDT, one-shot and
 * periodic), and INIT/SIPI starting the second CPU in real mode. Run with
 * -smp 2; prints the same lines on QEMU and under ./sealvisor. */
#include "guest/mb/mb.h"
#include "lib/string.h"

const char *mb_name = "mb-machine";

#define TRAMP 0x70000UL          /* the AP's real-mode start: SIPI vector 0x70 */
#define AP_FLAG (TRAMP + 0xff0)
#define TIMER_VECTOR 0x40



/* ---- ACPI ------------------------------------------------------------- */

static unsigned madt_cpus(void)
{
	uint32_t mlen;
	const uint8_t *m = mb_acpi_madt(&mlen);
	unsigned cpus = 0;

	for (uint32_t e = 44; m && e + 2 <= mlen && m[e + 1] >= 2; e += m[e + 1])
		if (m[e] == 0 && (m[e + 4] & 1))
			cpus++;
	return cpus;
}

/* ---- CMOS clock, PCI -------------------------------------------------- */

static uint8_t cmos(uint8_t reg)
{
	outb(0x70, reg);
	return inb(0x71);
}

static bool clock_plausible(void)
{
	for (unsigned spin = 0; spin < 1000000 && (cmos(0x0a) & 0x80); spin++)
		;
	uint8_t v[6] = { cmos(0), cmos(2), cmos(4), cmos(7), cmos(8), cmos(9) };
	bool binary = cmos(0x0b) & 4;
	for (int i = 0; i < 6; i++)
		if (!binary)
			v[i] = (uint8_t)((v[i] >> 4) * 10 + (v[i] & 15));
	return v[0] < 60 && v[1] < 60 && (v[2] & 0x7f) < 24 && v[3] >= 1 && v[3] <= 31 &&
	       v[4] >= 1 && v[4] <= 12 && v[5] < 100;
}

static uint32_t pci_read(unsigned dev, unsigned fn, unsigned reg)
{
	uint32_t v;
	uint32_t addr = 1u << 31 | dev << 11 | fn << 8 | (reg & 0xfc);
	__asm__ volatile("outl %0, %1" : : "a"(addr), "Nd"((uint16_t)0xcf8));
	__asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"((uint16_t)0xcfc));
	return v;
}

/* ---- PIT channel 2: a 10 ms reference -------------------------------- */

/* Runs fn around a 10 ms one-shot of channel 2 (gate: port 0x61 bit 0,
 * output: bit 5), as Linux's pit_calibrate_tsc does. */
static void pit_10ms(void (*before)(void), void (*after)(void))
{
	outb(0x61, (inb(0x61) & ~0x03) | 0x00);          /* gate low, speaker off */
	outb(0x43, 0xb0);                                 /* ch 2, lo/hi, mode 0 */
	outb(0x42, 11932 & 0xff);
	outb(0x42, 11932 >> 8);
	before();
	outb(0x61, (inb(0x61) & ~0x02) | 0x01);          /* gate high: it counts */
	for (unsigned spin = 0; spin < 100000000 && !(inb(0x61) & 0x20); spin++)
		;
	after();
}

static uint64_t t0, t1;
static uint32_t c0, c1;
static void tsc_start(void) { t0 = rdtsc(); c0 = *mb_lapic(0x390); }
static void tsc_stop(void) { t1 = rdtsc(); c1 = *mb_lapic(0x390); }

/* ---- the local APIC timer through an IDT ------------------------------ */

static volatile uint32_t timer_hits;
void timer_isr(void);
__asm__(".text\n"
	"timer_isr:\n"
	"	push %rax\n"
	"	lock incl timer_hits(%rip)\n"
	"	mov $0xfee000b0, %eax\n"       /* EOI */
	"	movl $0, (%rax)\n"
	"	pop %rax\n"
	"	iretq\n");

static uint64_t idt[256 * 2] __attribute__((aligned(16)));

static void idt_init(void)
{
	uint64_t h = (uint64_t)timer_isr;
	uint16_t cs;
	__asm__ volatile("mov %%cs, %0" : "=r"(cs));
	idt[TIMER_VECTOR * 2] = (h & 0xffff) | (uint64_t)cs << 16 | 0x8eUL << 40 |
				 ((h >> 16) & 0xffff) << 48;
	idt[TIMER_VECTOR * 2 + 1] = h >> 32;
	struct __attribute__((packed)) { uint16_t limit; uint64_t base; } d = { sizeof(idt) - 1,
										 (uint64_t)idt };
	__asm__ volatile("lidt %0" : : "m"(d));
}

/* Waits with interrupts on until n hits or the TSC budget runs out. */
static void wait_hits(uint32_t n, uint64_t budget)
{
	uint64_t end = rdtsc() + budget;
	while (timer_hits < n && rdtsc() < end)
		__asm__ volatile("sti; hlt; cli");
}

static void apic_timer(uint64_t tsc_10ms, uint32_t ticks_10ms)
{
	*mb_lapic(0xf0) = 0x1ff;                              /* SVR: on, spurious 0xff */
	*mb_lapic(0x3e0) = 0xb;                               /* divide by 1 */
	*mb_lapic(0x320) = TIMER_VECTOR;                      /* one-shot */
	*mb_lapic(0x380) = ticks_10ms / 10;                   /* 1 ms */
	wait_hits(1, 50 * tsc_10ms);
	mb_check(timer_hits == 1, "one-shot APIC timer: one interrupt through the IDT");
	timer_hits = 0;
	*mb_lapic(0x320) = TIMER_VECTOR | 1u << 17;           /* periodic, 1 ms */
	*mb_lapic(0x380) = ticks_10ms / 10;
	uint64_t end = rdtsc() + 2 * tsc_10ms;             /* 20 ms */
	while (rdtsc() < end)
		__asm__ volatile("sti; nop; nop; cli");
	*mb_lapic(0x380) = 0;
	uint32_t hits = timer_hits;
	mb_check(hits >= 5 && hits <= 40, "periodic APIC timer: about 20 ticks in 20 ms (5 to 40)");
}

/* ---- INIT/SIPI -------------------------------------------------------- */

extern const char ap_start[], ap_end[];
__asm__(".section .rodata\n"
	".code16\n"
	"ap_start:\n"
	"	cli\n"
	"	mov $0x7000, %ax\n"
	"	mov %ax, %ds\n"
	"	movw $0x5a5a, 0xff0\n"
	"1:	hlt\n"
	"	jmp 1b\n"
	"ap_end:\n"
	".code64\n"
	".previous\n");

static void delay(uint64_t tsc) { uint64_t end = rdtsc() + tsc; while (rdtsc() < end) ; }

static void start_ap(uint64_t tsc_10ms)
{
	volatile uint16_t *flag = (volatile uint16_t *)AP_FLAG;

	memcpy((void *)TRAMP, ap_start, (size_t)(ap_end - ap_start));
	*flag = 0;
	*mb_lapic(0x310) = 1u << 24;                          /* to APIC id 1 */
	*mb_lapic(0x300) = 0x4500;                            /* INIT, assert */
	delay(tsc_10ms);
	for (int sipi = 0; sipi < 2 && *flag != 0x5a5a; sipi++) {
		*mb_lapic(0x310) = 1u << 24;
		*mb_lapic(0x300) = 0x4600 | (TRAMP >> 12);     /* STARTUP, vector 0x70 */
		uint64_t end = rdtsc() + 20 * tsc_10ms;
		while (*flag != 0x5a5a && rdtsc() < end)
			;
	}
	mb_check(*flag == 0x5a5a, "INIT/SIPI starts CPU 1 in real mode at the vector's page");
}

void mb_test(void)
{
	mb_check(madt_cpus() == 2, "MADT (found through the RSDP search) lists 2 enabled CPUs");
	mb_check(clock_plausible(), "CMOS clock reads a plausible date and time");
	uint32_t id = pci_read(0, 0, 0);
	mb_check((id & 0xffff) == 0x8086 && pci_read(0, 0, 8) >> 16 == 0x0600,
		 "PCI 00:00.0 is an Intel host bridge");
	mb_check(pci_read(0, 0, 0x0) != 0xffffffff && pci_read(0x1e, 7, 0) == 0xffffffff,
		 "an absent PCI function reads all ones");

	uint32_t ver = *mb_lapic(0x30);
	mb_check((*mb_lapic(0x20) >> 24) == 0 && (ver & 0xff) >= 0x10 && (ver & 0xff) <= 0x15,
		 "local APIC page: BSP id 0, an integrated APIC's version");
	*mb_lapic(0xf0) = 0x1ff;
	*mb_lapic(0x3e0) = 0xb;
	*mb_lapic(0x320) = 1u << 16;                          /* masked */
	*mb_lapic(0x380) = 0xffffffff;
	pit_10ms(tsc_start, tsc_stop);
	uint64_t tsc_10ms = t1 - t0, first = tsc_10ms;
	uint32_t ticks_10ms = c0 - c1;
	pit_10ms(tsc_start, tsc_stop);
	uint64_t second = t1 - t0;
	*mb_lapic(0x380) = 0;
	mb_check(first > 0 && second > first / 2 && second < first * 2,
		 "PIT channel 2 calibrates the TSC twice alike");
	mb_check(ticks_10ms > 100, "the APIC timer counts while the PIT measures 10 ms");

	/* Only the APIC timer may interrupt: the firmware may have left the
	 * PICs' timer line open (QEMU's SeaBIOS does), and this IDT has one
	 * gate. */
	outb(0x21, 0xff);
	outb(0xa1, 0xff);
	*mb_lapic(0x350) = 1u << 16;                          /* LINT0 masked */
	idt_init();
	apic_timer(tsc_10ms, ticks_10ms);
	start_ap(tsc_10ms);
}
