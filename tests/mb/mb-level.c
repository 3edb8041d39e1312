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

#define EDGE_VECTOR 0x34
#define LEVEL_VECTOR 0x55
#define COM1_GSI 4
#define ROUNDS 5                  /* deliveries before the handler lowers the line */

/* ---- the handlers ------------------------------------------------------ */

static volatile uint32_t edge_hits, level_hits, tmr_seen, remote_irr_seen;

static bool tmr_bit(unsigned vector)
{
	return *mb_lapic(0x180 + 0x10 * (vector / 32)) & (1u << (vector % 32));
}

/* Counts, EOI; COM1 left alone: its line stays high. */
static MB_HANDLER void edge(void)
{
	edge_hits++;
	mb_lapic_eoi();
}

/* Leaves COM1 alone (the line stays high) for ROUNDS - 1 deliveries, then
 * clears IER. */
static MB_HANDLER void level(void)
{
	level_hits++;
	tmr_seen += tmr_bit(LEVEL_VECTOR);
	remote_irr_seen += !!(mb_ioapic_rte_low(COM1_GSI) & MB_RTE_REMOTE_IRR);
	if (level_hits >= ROUNDS)
		outb(MB_COM1 + 1, 0);                     /* IER 0: the line goes low */
	mb_lapic_eoi();
}

static void idt_init(void)
{
	mb_isr_set(EDGE_VECTOR, edge);
	mb_isr_set(LEVEL_VECTOR, level);
	mb_isr_set(0xff, NULL);                     /* the local APIC's spurious */
	mb_idt_load();
}

/* ---- the checks ------------------------------------------------------------ */

/* The waits spin with interrupts on (nothing else would wake a HLT). No
 * COM1 output meanwhile: a character written would end the THRE
 * interrupt the test keeps pending. */

static void edge_once(uint64_t tsc_10ms)
{
	mb_ioapic_route(COM1_GSI, EDGE_VECTOR);
	mb_com1_thre_on();
	mb_spin_until(&edge_hits, 2, 20 * tsc_10ms);       /* 200 ms: a second one would show */
	uint8_t iir = inb(MB_COM1 + 2);                    /* still pending: never read */
	outb(MB_COM1 + 1, 0);
	mb_ioapic_route(COM1_GSI, EDGE_VECTOR | MB_RTE_MASKED);
	mb_check(edge_hits == 1, "edge-triggered GSI 4: one interrupt while COM1 holds the line high");
	mb_check((iir & 0x0f) == 0x02, "COM1's IIR still says THRE afterwards");
}

static void level_until_lowered(uint64_t tsc_10ms)
{
	mb_ioapic_route(COM1_GSI, LEVEL_VECTOR | MB_RTE_LEVEL);
	mb_com1_thre_on();
	mb_spin_until(&level_hits, ROUNDS + 1, 20 * tsc_10ms); /* a sixth would show */
	uint32_t rte = mb_ioapic_rte_low(COM1_GSI);
	mb_check(level_hits == ROUNDS, "level-triggered GSI 4: re-sent after each EOI while high, "
		 "5 times, then no more once the handler lowered the line");
	mb_check(tmr_seen == ROUNDS, "the local APIC's TMR bit was set in every handler");
	mb_check(remote_irr_seen == ROUNDS, "the entry's Remote IRR was set in every handler");
	mb_check(!(rte & MB_RTE_REMOTE_IRR), "Remote IRR is clear after the last EOI");
	mb_check(tmr_bit(LEVEL_VECTOR), "the TMR bit stays set after the EOI (only an acceptance "
		 "changes it)");
}

/* The line high behind a masked level entry: nothing until it is
 * unmasked, then one delivery (the handler, past ROUNDS, lowers it). */
static void masked_then_unmasked(uint64_t tsc_10ms)
{
	mb_ioapic_route(COM1_GSI, LEVEL_VECTOR | MB_RTE_LEVEL | MB_RTE_MASKED);
	mb_com1_thre_on();
	mb_spin_until(&level_hits, ROUNDS + 1, 5 * tsc_10ms);
	uint32_t while_masked = level_hits;
	mb_ioapic_route(COM1_GSI, LEVEL_VECTOR | MB_RTE_LEVEL);
	mb_spin_until(&level_hits, ROUNDS + 2, 20 * tsc_10ms);
	mb_ioapic_route(COM1_GSI, LEVEL_VECTOR | MB_RTE_LEVEL | MB_RTE_MASKED);
	mb_check(while_masked == ROUNDS, "a masked level entry sends nothing while its line is high");
	mb_check(level_hits == ROUNDS + 1, "unmasked with its line still high, it sends once");
}

void mb_test(void)
{
	__asm__ volatile("cli");
	idt_init();
	mb_pic_mask_all();                                 /* the 8259s out of the way */
	*mb_lapic(0xf0) = 0x1ff;                           /* SVR: on, spurious 0xff */
	*mb_lapic(0x350) = 1u << 16;                       /* LINT0 masked */
	*mb_lapic(0x320) = 1u << 16;                       /* its timer: masked */
	mb_ioapic_mask_all();
	uint64_t tsc_10ms = mb_pit_tsc_10ms();
	mb_check(tsc_10ms > 0, "PIT channel 2 measures 10 ms of TSC");
	edge_once(tsc_10ms);
	level_until_lowered(tsc_10ms);
	masked_then_unmasked(tsc_10ms);
}
