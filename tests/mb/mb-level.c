/* mb-level: a level-triggered line through the I/O APIC, as on QEMU's
 * 82093AA: COM1's THRE interrupt (IER bit 1) holds ISA IRQ 4 (GSI 4) high
 * until the kernel reads IIR or clears IER. Routed edge-triggered it
 * arrives once however long the line stays high; routed level-triggered
 * it comes back after every local APIC EOI (the entry's Remote IRR is set
 * while the guest handles it, and the EOI broadcast clears it) until the
 * handler lowers the line, with its TMR bit set in the local APIC; a
 * masked level entry whose line is high sends when unmasked. The 8259 is
 * masked throughout. Prints the same lines on QEMU and under ./sealvisor
 * (tests/mb-tests.sh compares). */
#include "guest/mb/mb.h"

const char *mb_name = "mb-level";

#define IOAPIC 0xfec00000UL
#define EDGE_VECTOR 0x34
#define LEVEL_VECTOR 0x55
#define COM1_GSI 4
#define RTE_REMOTE_IRR (1u << 14)
#define RTE_LEVEL (1u << 15)
#define RTE_MASKED (1u << 16)
#define ROUNDS 5                  /* deliveries before the handler lowers the line */

/* ---- the handlers ------------------------------------------------------ */

static volatile uint32_t edge_hits, level_hits, tmr_seen, remote_irr_seen;

static uint32_t rte_low(unsigned gsi)
{
	volatile uint32_t *sel = (volatile uint32_t *)IOAPIC, *win = (volatile uint32_t *)(IOAPIC + 0x10);
	*sel = 0x10 + 2 * gsi;
	return *win;
}

static void rte_set(unsigned gsi, uint32_t low)
{
	volatile uint32_t *sel = (volatile uint32_t *)IOAPIC, *win = (volatile uint32_t *)(IOAPIC + 0x10);
	*sel = 0x10 + 2 * gsi + 1;
	*win = 0;                                         /* physical destination: APIC 0 */
	*sel = 0x10 + 2 * gsi;
	*win = low;                                       /* fixed, active high */
}

static bool tmr_bit(unsigned vector)
{
	return *mb_lapic(0x180 + 0x10 * (vector / 32)) & (1u << (vector % 32));
}

/* Called from level_isr with interrupts off. Leaves COM1 alone (the line
 * stays high) for ROUNDS - 1 deliveries, then clears IER. */
__attribute__((target("general-regs-only"))) void level_handler(void)
{
	level_hits++;
	tmr_seen += tmr_bit(LEVEL_VECTOR);
	remote_irr_seen += !!(rte_low(COM1_GSI) & RTE_REMOTE_IRR);
	if (level_hits >= ROUNDS)
		outb(0x3f9, 0);                           /* IER 0: the line goes low */
	*mb_lapic(0xb0) = 0;                              /* EOI */
}

void edge_isr(void), level_isr(void), spurious_isr(void);
__asm__(".text\n"
	"edge_isr:\n"                                  /* counts, EOI, line left high */
	"	push %rax\n"
	"	lock incl edge_hits(%rip)\n"
	"	mov $0xfee000b0, %eax\n"
	"	movl $0, (%rax)\n"
	"	pop %rax\n"
	"	iretq\n"
	"level_isr:\n"                                 /* 5 words + 9 pushes: aligned */
	"	push %rax\n	push %rcx\n	push %rdx\n	push %rsi\n	push %rdi\n"
	"	push %r8\n	push %r9\n	push %r10\n	push %r11\n"
	"	cld\n"
	"	call level_handler\n"
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

static void idt_init(void)
{
	gate(EDGE_VECTOR, edge_isr);
	gate(LEVEL_VECTOR, level_isr);
	gate(0xff, spurious_isr);                   /* the local APIC's */
	struct __attribute__((packed)) { uint16_t limit; uint64_t base; } d = { sizeof(idt) - 1,
										 (uint64_t)idt };
	__asm__ volatile("lidt %0" : : "m"(d));
}

/* ---- time ---------------------------------------------------------------- */

/* TSC cycles in a 10 ms one-shot of PIT channel 2 (gate: port 0x61 bit 0,
 * output: bit 5). */
static uint64_t tsc_per_10ms(void)
{
	outb(0x61, inb(0x61) & ~0x03);
	outb(0x43, 0xb0);                                 /* ch 2, lo/hi, mode 0 */
	outb(0x42, 11932 & 0xff);
	outb(0x42, 11932 >> 8);
	uint64_t t0 = rdtsc();
	outb(0x61, (inb(0x61) & ~0x02) | 0x01);
	for (unsigned spin = 0; spin < 100000000 && !(inb(0x61) & 0x20); spin++)
		;
	return rdtsc() - t0;
}

/* Interrupts on for n * 10 ms, spinning (nothing else would wake a HLT),
 * or until *hits reaches want. No COM1 output meanwhile: a character
 * written would end the THRE interrupt the test keeps pending. */
static void wait_for(volatile uint32_t *hits, uint32_t want, unsigned n, uint64_t tsc_10ms)
{
	uint64_t end = rdtsc() + n * tsc_10ms;
	__asm__ volatile("sti");
	while (*hits < want && rdtsc() < end)
		__asm__ volatile("pause");
	__asm__ volatile("cli");
}

static void thre_on(void)
{
	while (!(inb(0x3fd) & 0x20))                       /* THR empty (our last line sent) */
		;
	outb(0x3f9, 0x02);                                 /* IER: THRE, the line goes high */
}

/* ---- the checks ------------------------------------------------------------ */

static void edge_once(uint64_t tsc_10ms)
{
	rte_set(COM1_GSI, EDGE_VECTOR);
	thre_on();
	wait_for(&edge_hits, 2, 20, tsc_10ms);             /* 200 ms: a second one would show */
	uint8_t iir = inb(0x3fa);                          /* still pending: never read */
	outb(0x3f9, 0);
	rte_set(COM1_GSI, EDGE_VECTOR | RTE_MASKED);
	mb_check(edge_hits == 1, "edge-triggered GSI 4: one interrupt while COM1 holds the line high");
	mb_check((iir & 0x0f) == 0x02, "COM1's IIR still says THRE afterwards");
}

static void level_until_lowered(uint64_t tsc_10ms)
{
	rte_set(COM1_GSI, LEVEL_VECTOR | RTE_LEVEL);
	thre_on();
	wait_for(&level_hits, ROUNDS + 1, 20, tsc_10ms);   /* a sixth would show */
	uint32_t rte = rte_low(COM1_GSI);
	mb_check(level_hits == ROUNDS, "level-triggered GSI 4: re-sent after each EOI while high, "
		 "5 times, then no more once the handler lowered the line");
	mb_check(tmr_seen == ROUNDS, "the local APIC's TMR bit was set in every handler");
	mb_check(remote_irr_seen == ROUNDS, "the entry's Remote IRR was set in every handler");
	mb_check(!(rte & RTE_REMOTE_IRR), "Remote IRR is clear after the last EOI");
	mb_check(tmr_bit(LEVEL_VECTOR), "the TMR bit stays set after the EOI (only an acceptance "
		 "changes it)");
}

/* The line high behind a masked level entry: nothing until it is
 * unmasked, then one delivery (the handler, past ROUNDS, lowers it). */
static void masked_then_unmasked(uint64_t tsc_10ms)
{
	rte_set(COM1_GSI, LEVEL_VECTOR | RTE_LEVEL | RTE_MASKED);
	thre_on();
	wait_for(&level_hits, ROUNDS + 1, 5, tsc_10ms);
	uint32_t while_masked = level_hits;
	rte_set(COM1_GSI, LEVEL_VECTOR | RTE_LEVEL);
	wait_for(&level_hits, ROUNDS + 2, 20, tsc_10ms);
	rte_set(COM1_GSI, LEVEL_VECTOR | RTE_LEVEL | RTE_MASKED);
	mb_check(while_masked == ROUNDS, "a masked level entry sends nothing while its line is high");
	mb_check(level_hits == ROUNDS + 1, "unmasked with its line still high, it sends once");
}

void mb_test(void)
{
	__asm__ volatile("cli");
	idt_init();
	outb(0x21, 0xff);                                  /* the 8259s out of the way */
	outb(0xa1, 0xff);
	*mb_lapic(0xf0) = 0x1ff;                           /* SVR: on, spurious 0xff */
	*mb_lapic(0x350) = 1u << 16;                       /* LINT0 masked */
	*mb_lapic(0x320) = 1u << 16;                       /* its timer: masked */
	for (unsigned pin = 0; pin < 24; pin++)
		rte_set(pin, RTE_MASKED);
	uint64_t tsc_10ms = tsc_per_10ms();
	mb_check(tsc_10ms > 0, "PIT channel 2 measures 10 ms of TSC");
	edge_once(tsc_10ms);
	level_until_lowered(tsc_10ms);
	masked_then_unmasked(tsc_10ms);
}
