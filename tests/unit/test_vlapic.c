/* The virtual local APIC model (hv/vlapic.c): x2APIC register rules,
 * priorities, EOI, the timer's arithmetic in its three modes, ICR. */
#include <sealvisor/errno.h>
#include "hv/vlapic.h"
#include "tests/unit/unit.h"

#define TPT 10   /* TSC cycles per APIC timer tick */

static struct vlapic l;
static struct vlapic_ipi ipi;

static void setup(void)
{
	vlapic_init(&l, 3, TPT);
}

static uint64_t rd(uint32_t reg, uint64_t now)
{
	uint64_t v = 0xdead;
	ck_assert_int_eq(vlapic_read(&l, reg, now, &v), 0);
	return v;
}

static int wr(uint32_t reg, uint64_t val, uint64_t now)
{
	return vlapic_write(&l, reg, val, now, &ipi);
}

static void enable(void)
{
	ck_assert_int_eq(wr(VLAPIC_SVR, SVR_ENABLED | 0xff, 0), 0);
}

START_TEST(reset_state_and_read_only_identity)
{
	ck_assert_uint_eq(rd(VLAPIC_ID, 0), 3);
	ck_assert_uint_eq(rd(VLAPIC_VERSION, 0) & 0xff, 0x14);
	ck_assert_uint_eq(rd(VLAPIC_VERSION, 0) >> 16 & 0xff, VLAPIC_NR_LVT - 1);
	ck_assert_uint_eq(rd(VLAPIC_LDR, 0), 1u << 3);
	ck_assert_uint_eq(rd(VLAPIC_SVR, 0), 0xff);
	ck_assert_uint_eq(rd(VLAPIC_LVT_TIMER, 0), LVT_MASKED);
	ck_assert_uint_eq(rd(VLAPIC_LVT_LINT0, 0), LVT_MASKED);
	/* Read-only registers refuse writes, write-only ones reads (#GP). */
	ck_assert_int_eq(wr(VLAPIC_ID, 5, 0), -EINVAL);
	ck_assert_int_eq(wr(VLAPIC_VERSION, 0, 0), -EINVAL);
	ck_assert_int_eq(wr(VLAPIC_PPR, 0, 0), -EINVAL);
	ck_assert_int_eq(wr(VLAPIC_LDR, 0, 0), -EINVAL);
	ck_assert_int_eq(wr(VLAPIC_IRR0, 0, 0), -EINVAL);
	ck_assert_int_eq(wr(VLAPIC_TIMER_CCR, 0, 0), -EINVAL);
	uint64_t v;
	ck_assert_int_eq(vlapic_read(&l, VLAPIC_EOI, 0, &v), -EINVAL);
	ck_assert_int_eq(vlapic_read(&l, VLAPIC_SELF_IPI, 0, &v), -EINVAL);
	ck_assert_int_eq(vlapic_read(&l, 0x31, 0, &v), -EINVAL);     /* no ICR2 in x2APIC */
	ck_assert_int_eq(vlapic_read(&l, 0x0e, 0, &v), -EINVAL);     /* no DFR */
	ck_assert_uint_eq(rd(VLAPIC_ID, 0), 3);
}
END_TEST

START_TEST(reserved_bits_are_refused_and_change_nothing)
{
	ck_assert_int_eq(wr(VLAPIC_TPR, 0x100, 0), -EINVAL);
	ck_assert_int_eq(wr(VLAPIC_TPR, 1UL << 32, 0), -EINVAL);
	ck_assert_int_eq(wr(VLAPIC_SVR, 0x1000 | 0x1ff, 0), -EINVAL);
	ck_assert_int_eq(wr(VLAPIC_EOI, 1, 0), -EINVAL);
	ck_assert_int_eq(wr(VLAPIC_ESR, 1, 0), -EINVAL);
	ck_assert_int_eq(wr(VLAPIC_LVT_TIMER, 3u << 17, 0), -EINVAL);   /* mode 3 */
	ck_assert_int_eq(wr(VLAPIC_LVT_ERROR, 0x700, 0), -EINVAL);      /* no delivery mode */
	ck_assert_int_eq(wr(VLAPIC_TIMER_DCR, 0x4, 0), -EINVAL);
	ck_assert_int_eq(wr(VLAPIC_SELF_IPI, 0x100, 0), -EINVAL);
	ck_assert_int_eq(wr(VLAPIC_ICR, 1u << 12 | 0x40, 0), -EINVAL);  /* delivery status */
	ck_assert_int_eq(wr(VLAPIC_ICR, 2u << 8 | 0x40, 0), -EINVAL);   /* SMI */
	ck_assert_int_eq(wr(VLAPIC_ICR, 7u << 8 | 0x40, 0), -EINVAL);   /* ExtINT */
	ck_assert_uint_eq(rd(VLAPIC_TPR, 0), 0);
	ck_assert_uint_eq(rd(VLAPIC_SVR, 0), 0xff);
	ck_assert_uint_eq(rd(VLAPIC_ICR, 0), 0);
	ck_assert(!ipi.valid);
}
END_TEST

START_TEST(a_disabled_apic_keeps_its_lvts_masked_and_delivers_nothing)
{
	ck_assert_int_eq(wr(VLAPIC_LVT_TIMER, 0x40, 0), 0);
	ck_assert_uint_eq(rd(VLAPIC_LVT_TIMER, 0), LVT_MASKED | 0x40);
	vlapic_accept(&l, 0x50, false);
	ck_assert_int_eq(vlapic_pending(&l), -1);
	enable();
	ck_assert_int_eq(vlapic_pending(&l), 0x50);
	ck_assert_int_eq(wr(VLAPIC_LVT_TIMER, 0x40, 0), 0);
	ck_assert_uint_eq(rd(VLAPIC_LVT_TIMER, 0), 0x40);
	ck_assert_int_eq(wr(VLAPIC_SVR, 0xff, 0), 0);     /* disabling masks them all */
	ck_assert_uint_eq(rd(VLAPIC_LVT_TIMER, 0), LVT_MASKED | 0x40);
}
END_TEST

START_TEST(priority_tpr_ppr_isr_and_eoi)
{
	enable();
	vlapic_accept(&l, 0x45, false);
	vlapic_accept(&l, 0x81, false);
	ck_assert_uint_eq(rd(VLAPIC_IRR0 + 4, 0), 1u << 1);   /* 0x81 */
	ck_assert_int_eq(vlapic_pending(&l), 0x81);           /* highest first */
	vlapic_ack(&l, 0x81);
	ck_assert_uint_eq(rd(VLAPIC_ISR0 + 4, 0), 1u << 1);
	ck_assert_uint_eq(rd(VLAPIC_PPR, 0), 0x80);
	ck_assert_int_eq(vlapic_pending(&l), -1);             /* 0x45 is below class 8 */
	vlapic_accept(&l, 0x8f, false);
	ck_assert_int_eq(vlapic_pending(&l), -1);             /* same class: not above */
	vlapic_accept(&l, 0x90, false);
	ck_assert_int_eq(vlapic_pending(&l), 0x90);
	ck_assert_int_eq(wr(VLAPIC_EOI, 0, 0), 0);            /* ends 0x81 */
	ck_assert_uint_eq(rd(VLAPIC_ISR0 + 4, 0), 0);
	ck_assert_uint_eq(rd(VLAPIC_PPR, 0), 0);
	ck_assert_int_eq(wr(VLAPIC_TPR, 0x95, 0), 0);         /* TPR above: nothing */
	ck_assert_uint_eq(rd(VLAPIC_PPR, 0), 0x95);
	ck_assert_int_eq(vlapic_pending(&l), -1);
	ck_assert_int_eq(wr(VLAPIC_TPR, 0x8f, 0), 0);
	ck_assert_int_eq(vlapic_pending(&l), 0x90);
	vlapic_ack(&l, 0x90);
	ck_assert_uint_eq(rd(VLAPIC_PPR, 0), 0x90);           /* ISR class above TPR */
}
END_TEST

/* Set by a level acceptance, kept across the EOI (SDM 11.8.4: only an
 * acceptance changes it; QEMU alike), cleared by an edge acceptance. */
START_TEST(level_interrupts_set_the_tmr_until_an_edge_one_clears_it)
{
	enable();
	vlapic_accept(&l, 0x60, true);
	ck_assert_uint_eq(rd(VLAPIC_TMR0 + 3, 0), 1);
	vlapic_ack(&l, 0x60);
	ck_assert_int_eq(wr(VLAPIC_EOI, 0, 0), 0);
	ck_assert_uint_eq(rd(VLAPIC_TMR0 + 3, 0), 1);
	vlapic_accept(&l, 0x60, false);
	ck_assert_uint_eq(rd(VLAPIC_TMR0 + 3, 0), 0);
}
END_TEST

/* The EOI of a level-triggered vector is kept for the VMM (its I/O
 * APIC's Remote IRR), each once, lowest first; an edge one's is not, nor
 * a level vector's whose TMR an edge message of the same vector cleared. */
START_TEST(level_eois_are_kept_for_the_vmm_each_once)
{
	enable();
	ck_assert_int_eq(vlapic_take_eoi_exit(&l), -1);
	vlapic_accept(&l, 0x40, false);
	vlapic_ack(&l, 0x40);
	ck_assert_int_eq(wr(VLAPIC_EOI, 0, 0), 0);
	ck_assert_int_eq(vlapic_take_eoi_exit(&l), -1);         /* edge: nothing */
	vlapic_accept(&l, 0x60, true);
	vlapic_ack(&l, 0x60);
	vlapic_accept(&l, 0xa1, true);
	vlapic_ack(&l, 0xa1);                                   /* nested above 0x60 */
	ck_assert_int_eq(wr(VLAPIC_EOI, 0, 0), 0);              /* ends 0xa1 */
	ck_assert_int_eq(wr(VLAPIC_EOI, 0, 0), 0);              /* ends 0x60 */
	ck_assert_int_eq(wr(VLAPIC_EOI, 0, 0), 0);              /* nothing in service */
	ck_assert_int_eq(vlapic_take_eoi_exit(&l), 0x60);
	ck_assert_int_eq(vlapic_take_eoi_exit(&l), 0xa1);
	ck_assert_int_eq(vlapic_take_eoi_exit(&l), -1);
	vlapic_accept(&l, 0x70, true);
	vlapic_ack(&l, 0x70);
	vlapic_accept(&l, 0x70, false);                          /* edge again: TMR clear */
	ck_assert_uint_eq(rd(VLAPIC_TMR0 + 3, 0), 1);            /* 0x60's stays */
	ck_assert_int_eq(wr(VLAPIC_EOI, 0, 0), 0);
	ck_assert_int_eq(vlapic_take_eoi_exit(&l), -1);
}
END_TEST

/* The 8259's INTR through LINT0: the BSP starts in virtual-wire mode
 * (ExtINT, unmasked, as KVM and QEMU reset it), an AP masked; masking
 * LINT0 or another delivery mode stops it; a globally disabled APIC
 * passes the pin whatever LINT0 says; INIT restores the BSP's. */
START_TEST(lint0_passes_the_8259_in_extint_mode_or_with_the_apic_off)
{
	struct vlapic bsp;

	ck_assert(!vlapic_accepts_extint(&l));                 /* id 3: an AP */
	vlapic_init(&bsp, 0, TPT);
	uint64_t v = 0;
	ck_assert_int_eq(vlapic_read(&bsp, VLAPIC_LVT_LINT0, 0, &v), 0);
	ck_assert_uint_eq(v, 0x700);
	ck_assert(vlapic_accepts_extint(&bsp));
	ck_assert_int_eq(vlapic_write(&bsp, VLAPIC_SVR, 0x1ff, 0, &ipi), 0);
	ck_assert_int_eq(vlapic_write(&bsp, VLAPIC_LVT_LINT0, 0x10700, 0, &ipi), 0);
	ck_assert(!vlapic_accepts_extint(&bsp));               /* masked */
	ck_assert_int_eq(vlapic_write(&bsp, VLAPIC_LVT_LINT0, 0x0030, 0, &ipi), 0);
	ck_assert(!vlapic_accepts_extint(&bsp));               /* fixed: not ExtINT */
	ck_assert_int_eq(vlapic_write(&bsp, VLAPIC_LVT_LINT0, 0x0700, 0, &ipi), 0);
	ck_assert(vlapic_accepts_extint(&bsp));
	ck_assert_int_eq(vlapic_write(&bsp, VLAPIC_SVR, 0xff, 0, &ipi), 0);
	ck_assert(!vlapic_accepts_extint(&bsp));               /* software-disabled: masked */
	vlapic_reset(&bsp);                                    /* INIT */
	ck_assert(vlapic_accepts_extint(&bsp));
	ck_assert_int_eq(vlapic_write(&bsp, VLAPIC_SVR, 0x1ff, 0, &ipi), 0);
	ck_assert_int_eq(vlapic_write(&bsp, VLAPIC_LVT_LINT0, 0x10700, 0, &ipi), 0);
	ck_assert_int_eq(vlapic_set_base(&bsp, APIC_BASE_ADDR), 0);   /* globally off */
	ck_assert(vlapic_accepts_extint(&bsp));
	ck_assert(!vlapic_accepts_extint(&l));
	ck_assert_int_eq(vlapic_set_base(&l, APIC_BASE_ADDR), 0);
	ck_assert(vlapic_accepts_extint(&l));                  /* an AP's pin too */
}
END_TEST

START_TEST(illegal_vectors_are_errors_latched_by_an_esr_write)
{
	enable();
	ck_assert_int_eq(wr(VLAPIC_LVT_ERROR, 0xee, 0), 0);
	vlapic_accept(&l, 7, false);
	ck_assert_uint_eq(rd(VLAPIC_ESR, 0), 0);              /* not until written */
	ck_assert_int_eq(vlapic_pending(&l), 0xee);           /* the error LVT fired */
	ck_assert_int_eq(wr(VLAPIC_ESR, 0, 0), 0);
	ck_assert_uint_eq(rd(VLAPIC_ESR, 0), ESR_RECV_ILLEGAL);
	ck_assert_int_eq(wr(VLAPIC_ICR, 0x05, 0), 0);         /* fixed IPI, vector 5 */
	ck_assert(!ipi.valid);
	ck_assert_int_eq(wr(VLAPIC_ESR, 0, 0), 0);
	ck_assert_uint_eq(rd(VLAPIC_ESR, 0), ESR_SEND_ILLEGAL);
	ck_assert_int_eq(wr(VLAPIC_ESR, 0, 0), 0);
	ck_assert_uint_eq(rd(VLAPIC_ESR, 0), 0);
	ck_assert_int_eq(wr(VLAPIC_SELF_IPI, 0x33, 0), 0);
	vlapic_ack(&l, 0xee);
	ck_assert_int_eq(wr(VLAPIC_EOI, 0, 0), 0);
	ck_assert_int_eq(vlapic_pending(&l), 0x33);
}
END_TEST

START_TEST(icr_writes_decode_into_ipis)
{
	enable();
	ck_assert_int_eq(wr(VLAPIC_ICR, 5UL << 32 | 0x4061, 0), 0);   /* fixed, level assert */
	ck_assert(ipi.valid);
	ck_assert_uint_eq(ipi.mode, IPI_FIXED);
	ck_assert_uint_eq(ipi.vector, 0x61);
	ck_assert_uint_eq(ipi.dest, 5);
	ck_assert_uint_eq(ipi.shorthand, IPI_DEST);
	ck_assert_uint_eq(rd(VLAPIC_ICR, 0), 5UL << 32 | 0x4061);
	ck_assert_int_eq(wr(VLAPIC_ICR, 1UL << 32 | IPI_INIT << 8 | 0x4000, 0), 0);
	ck_assert_uint_eq(ipi.mode, IPI_INIT);
	ck_assert_int_eq(wr(VLAPIC_ICR, 1UL << 32 | IPI_SIPI << 8 | 0x9a, 0), 0);
	ck_assert_uint_eq(ipi.mode, IPI_SIPI);
	ck_assert_uint_eq(ipi.vector, 0x9a);
	ck_assert_int_eq(wr(VLAPIC_ICR, 3u << 18 | 0x70, 0), 0);
	ck_assert_uint_eq(ipi.shorthand, IPI_OTHERS);
	ck_assert_int_eq(wr(VLAPIC_ICR, 1u << 11 | 0x70, 0), 0);
	ck_assert(ipi.logical);
	ck_assert_int_eq(wr(VLAPIC_TPR, 0, 0), 0);
	ck_assert(!ipi.valid);                                   /* only ICR writes send */
}
END_TEST

START_TEST(one_shot_counts_down_at_the_divided_rate_then_fires_once)
{
	enable();
	ck_assert_int_eq(wr(VLAPIC_LVT_TIMER, 0x40, 0), 0);
	ck_assert_int_eq(wr(VLAPIC_TIMER_DCR, 0x1, 0), 0);        /* divide by 4 */
	ck_assert_int_eq(wr(VLAPIC_TIMER_ICR, 100, 1000), 0);
	/* one count = 4 ticks = 40 TSC cycles; 100 counts = 4000 */
	ck_assert_uint_eq(rd(VLAPIC_TIMER_CCR, 1000), 100);
	ck_assert_uint_eq(rd(VLAPIC_TIMER_CCR, 1039), 100);
	ck_assert_uint_eq(rd(VLAPIC_TIMER_CCR, 1040), 99);
	ck_assert_uint_eq(rd(VLAPIC_TIMER_CCR, 1000 + 2000), 50);
	ck_assert_uint_eq(vlapic_timer_next(&l), 5000);
	ck_assert(!vlapic_timer_tick(&l, 4999));
	ck_assert_int_eq(vlapic_pending(&l), -1);
	ck_assert(vlapic_timer_tick(&l, 5000));
	ck_assert_int_eq(vlapic_pending(&l), 0x40);
	ck_assert_uint_eq(rd(VLAPIC_TIMER_CCR, 6000), 0);
	ck_assert_uint_eq(vlapic_timer_next(&l), UINT64_MAX);
	ck_assert(!vlapic_timer_tick(&l, 100000));
}
END_TEST

START_TEST(divide_by_one_and_a_divider_change_mid_count)
{
	enable();
	ck_assert_int_eq(wr(VLAPIC_LVT_TIMER, 0x40, 0), 0);
	ck_assert_int_eq(wr(VLAPIC_TIMER_DCR, 0xb, 0), 0);        /* divide by 1 */
	ck_assert_int_eq(wr(VLAPIC_TIMER_ICR, 100, 0), 0);
	ck_assert_uint_eq(rd(VLAPIC_TIMER_CCR, 500), 50);
	ck_assert_int_eq(wr(VLAPIC_TIMER_DCR, 0x0, 500), 0);      /* divide by 2 from here */
	ck_assert_uint_eq(rd(VLAPIC_TIMER_CCR, 500), 50);
	ck_assert_uint_eq(rd(VLAPIC_TIMER_CCR, 520), 49);
	ck_assert_uint_eq(vlapic_timer_next(&l), 500 + 50 * 20);
}
END_TEST

START_TEST(periodic_reloads_without_drift_and_a_masked_one_fires_nothing)
{
	enable();
	ck_assert_int_eq(wr(VLAPIC_TIMER_DCR, 0xb, 0), 0);
	ck_assert_int_eq(wr(VLAPIC_LVT_TIMER, LVT_TIMER_PERIODIC | LVT_MASKED | 0x41, 0), 0);
	ck_assert_int_eq(wr(VLAPIC_TIMER_ICR, 10, 0), 0);         /* period 100 */
	ck_assert_uint_eq(rd(VLAPIC_TIMER_CCR, 250), 5);
	ck_assert(vlapic_timer_tick(&l, 130));                   /* late by 30 */
	ck_assert_int_eq(vlapic_pending(&l), -1);                /* masked */
	ck_assert_uint_eq(vlapic_timer_next(&l), 200);           /* not 230 */
	ck_assert_int_eq(wr(VLAPIC_LVT_TIMER, LVT_TIMER_PERIODIC | 0x41, 200), 0);
	ck_assert(vlapic_timer_tick(&l, 450));                   /* two periods missed */
	ck_assert_uint_eq(vlapic_timer_next(&l), 500);
	ck_assert_int_eq(vlapic_pending(&l), 0x41);
	ck_assert_int_eq(wr(VLAPIC_TIMER_ICR, 0, 460), 0);        /* zero stops it */
	ck_assert_uint_eq(vlapic_timer_next(&l), UINT64_MAX);
}
END_TEST

/* Count 1, divide by 1 (TPT 10: a tick every 10 TSC cycles) under a
 * floor of 1000: expiries 1000 apart, coalesced when late; a one-shot is
 * not floored (each re-arm costs the guest an exit of its own). */
START_TEST(periodic_timers_never_fire_faster_than_the_floor)
{
	vlapic_init(&l, 3, TPT);
	l.min_period = 1000;
	enable();
	ck_assert_int_eq(wr(VLAPIC_TIMER_DCR, 0xb, 0), 0);
	ck_assert_int_eq(wr(VLAPIC_LVT_TIMER, LVT_TIMER_PERIODIC | 0x41, 0), 0);
	ck_assert_int_eq(wr(VLAPIC_TIMER_ICR, 1, 0), 0);
	ck_assert_uint_eq(vlapic_timer_next(&l), 1000);          /* not 10 */
	ck_assert(!vlapic_timer_tick(&l, 999));
	ck_assert(vlapic_timer_tick(&l, 2500));                  /* one tick for 2 periods */
	ck_assert_uint_eq(vlapic_timer_next(&l), 3000);
	ck_assert_int_eq(wr(VLAPIC_TIMER_ICR, 500, 3000), 0);     /* 5000 cycles: above the floor */
	ck_assert_uint_eq(vlapic_timer_next(&l), 8000);
	ck_assert_int_eq(wr(VLAPIC_LVT_TIMER, 0x41, 8000), 0);    /* one-shot */
	ck_assert_int_eq(wr(VLAPIC_TIMER_ICR, 1, 8000), 0);
	ck_assert_uint_eq(vlapic_timer_next(&l), 8010);
}
END_TEST

START_TEST(tsc_deadline_mode_ignores_the_count_and_fires_at_the_deadline)
{
	enable();
	ck_assert_int_eq(wr(VLAPIC_TIMER_ICR, 10, 0), 0);
	ck_assert_int_eq(wr(VLAPIC_LVT_TIMER, LVT_TIMER_DEADLINE | 0x42, 0), 0);
	ck_assert_uint_eq(vlapic_timer_next(&l), UINT64_MAX);     /* the mode change stopped it */
	ck_assert_int_eq(wr(VLAPIC_TIMER_ICR, 10, 0), 0);         /* ignored */
	ck_assert_uint_eq(rd(VLAPIC_TIMER_CCR, 0), 0);
	ck_assert_uint_eq(vlapic_timer_next(&l), UINT64_MAX);
	ck_assert_int_eq(vlapic_write_deadline(&l, 12345), 0);
	ck_assert_uint_eq(vlapic_timer_next(&l), 12345);
	ck_assert(!vlapic_timer_tick(&l, 12344));
	ck_assert(vlapic_timer_tick(&l, 12345));
	ck_assert_int_eq(vlapic_pending(&l), 0x42);
	ck_assert_uint_eq(vlapic_timer_next(&l), UINT64_MAX);     /* one-shot */
	ck_assert_int_eq(vlapic_write_deadline(&l, 20000), 0);
	ck_assert_int_eq(vlapic_write_deadline(&l, 0), 0);        /* 0 disarms */
	ck_assert_uint_eq(vlapic_timer_next(&l), UINT64_MAX);
	ck_assert_int_eq(wr(VLAPIC_LVT_TIMER, 0x42, 0), 0);       /* back to one-shot */
	ck_assert_int_eq(vlapic_write_deadline(&l, 30000), 0);    /* ignored there */
	ck_assert_uint_eq(vlapic_timer_next(&l), UINT64_MAX);
}
END_TEST

Suite *vlapic_suite(void)
{
	Suite *s = suite_create("vlapic");
	TCase *tc = tcase_create("vlapic");

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, reset_state_and_read_only_identity);
	tcase_add_test(tc, reserved_bits_are_refused_and_change_nothing);
	tcase_add_test(tc, a_disabled_apic_keeps_its_lvts_masked_and_delivers_nothing);
	tcase_add_test(tc, priority_tpr_ppr_isr_and_eoi);
	tcase_add_test(tc, level_interrupts_set_the_tmr_until_an_edge_one_clears_it);
	tcase_add_test(tc, level_eois_are_kept_for_the_vmm_each_once);
	tcase_add_test(tc, lint0_passes_the_8259_in_extint_mode_or_with_the_apic_off);
	tcase_add_test(tc, illegal_vectors_are_errors_latched_by_an_esr_write);
	tcase_add_test(tc, icr_writes_decode_into_ipis);
	tcase_add_test(tc, one_shot_counts_down_at_the_divided_rate_then_fires_once);
	tcase_add_test(tc, divide_by_one_and_a_divider_change_mid_count);
	tcase_add_test(tc, periodic_reloads_without_drift_and_a_masked_one_fires_nothing);
	tcase_add_test(tc, tsc_deadline_mode_ignores_the_count_and_fires_at_the_deadline);
	tcase_add_test(tc, periodic_timers_never_fire_faster_than_the_floor);
	suite_add_tcase(s, tc);
	return s;
}
