/* guest/vmm/pit8254.c: Linux's TSC calibration loops on channel 2, the
 * periodic tick on channel 0 with the timer the VMM arms from
 * pit_next_irq0, latches and read-back, the gate, refused BCD. */
#include <stdlib.h>
#include "guest/vmm/pit8254.h"
#include "tests/unit/unit.h"

#define T0 5000000000ull   /* the VMM's clock when the guest starts */

/* arch/x86/kernel/tsc.c pit_calibrate_tsc(): channel 2, mode 0, 50 ms
 * latch, poll port 0x61 bit 5. */
START_TEST(linux_pit_calibrate_tsc)
{
	struct pit p;
	const uint32_t latch = 1193182 / (1000 / 50);

	pit_init(&p, 0);
	uint8_t v = pit_read(&p, 0x61, T0);
	pit_write(&p, 0x61, (v & ~0x02) | 0x01, T0);
	pit_write(&p, 0x43, 0xb0, T0);
	pit_write(&p, 0x42, latch & 0xff, T0);
	pit_write(&p, 0x42, latch >> 8, T0);
	uint64_t done = T0 + pit_ticks_to_ns(latch);
	ck_assert_uint_eq(pit_read(&p, 0x61, T0 + 1000) & 0x20, 0);
	ck_assert_uint_eq(pit_read(&p, 0x61, done - 1) & 0x20, 0);
	ck_assert_uint_eq(pit_read(&p, 0x61, done) & 0x21, 0x21);
	/* 50 ms to within one input tick (838 ns). */
	ck_assert_uint_ge(done - T0, 50000000ull - 1000);
	ck_assert_uint_le(done - T0, 50000000ull + 1000);
	/* Gate low pauses mode 0: the count holds still. */
	pit_write(&p, 0x43, 0xb0, T0);
	pit_write(&p, 0x42, 0xff, T0);
	pit_write(&p, 0x42, 0xff, T0);
	pit_write(&p, 0x61, 0x00, T0 + 1000000);
	pit_write(&p, 0x43, 0x80, T0 + 9000000);      /* latch channel 2 */
	uint16_t c = pit_read(&p, 0x42, 0);
	c |= (uint16_t)(pit_read(&p, 0x42, 0) << 8);
	ck_assert_uint_eq(c, 0xffff - pit_ns_to_ticks(1000000));
	pit_write(&p, 0x61, 0x01, T0 + 9000000);
	ck_assert_uint_eq(pit_read(&p, 0x61, T0 + 9000000 + pit_ticks_to_ns(c) - 1) & 0x20, 0);
	ck_assert_uint_eq(pit_read(&p, 0x61, T0 + 9000000 + pit_ticks_to_ns(c)) & 0x20, 0x20);
}
END_TEST

/* quick_pit_calibrate(): mode 0 from 0xffff, word reads; the MSB falls
 * by one every 256 ticks. */
START_TEST(linux_quick_pit_calibrate)
{
	struct pit p;

	pit_init(&p, 0);
	pit_write(&p, 0x61, 0x01, T0);
	pit_write(&p, 0x43, 0xb0, T0);
	pit_write(&p, 0x42, 0xff, T0);
	pit_write(&p, 0x42, 0xff, T0);
	for (unsigned i = 1; i < 200; i++) {
		uint64_t t = T0 + pit_ticks_to_ns(256 * i);
		pit_read(&p, 0x42, t);
		ck_assert_uint_eq(pit_read(&p, 0x42, t), 0xff - i);
	}
}
END_TEST

/* The periodic tick: 0x34 (channel 0, mode 2, lobyte/hibyte), 100 Hz, the
 * VMM sleeping until pit_next_irq0 each time. */
START_TEST(channel0_periodic)
{
	struct pit p;
	const uint16_t latch = 11932;

	pit_init(&p, 0);
	pit_write(&p, 0x43, 0x34, T0);
	pit_write(&p, 0x40, latch & 0xff, T0);
	ck_assert_uint_eq(pit_next_irq0(&p, T0), PIT_NEVER);   /* half a count */
	pit_write(&p, 0x40, latch >> 8, T0);
	uint64_t now = T0, prev = 0, total = 0;
	for (unsigned i = 0; i < 100; i++) {
		uint64_t next = pit_next_irq0(&p, now);
		ck_assert_uint_gt(next, now);
		if (prev)
			ck_assert_uint_le(next - prev - pit_ticks_to_ns(latch) + 1000, 2000);
		ck_assert_uint_eq(pit_irq0_edges(&p, next - 1), 0);
		ck_assert_uint_eq(pit_irq0_edges(&p, next), 1);
		total++;
		prev = next;
		now = next;
	}
	ck_assert_uint_eq(total, 100);
	/* The VMM slept 100 periods: 100 edges at once, then none. */
	ck_assert_uint_eq(pit_irq0_edges(&p, now + pit_ticks_to_ns(100u * latch)), 100);
	ck_assert_uint_eq(pit_irq0_edges(&p, now + pit_ticks_to_ns(100u * latch)), 0);
	/* Mode 3 (square wave): out high for the first half. */
	pit_write(&p, 0x43, 0x36, T0);
	pit_write(&p, 0x40, 100, T0);
	pit_write(&p, 0x40, 0, T0);
	ck_assert(pit_out(&p, 0, T0 + pit_ticks_to_ns(49)));
	ck_assert(!pit_out(&p, 0, T0 + pit_ticks_to_ns(50)));
	ck_assert_uint_eq(pit_next_irq0(&p, T0), T0 + pit_ticks_to_ns(100));
	ck_assert_uint_eq(pit_irq0_edges(&p, T0 + pit_ticks_to_ns(1000)), 10);
	/* Mode 0 on channel 0: one edge, then never again. */
	pit_write(&p, 0x43, 0x30, T0);
	pit_write(&p, 0x40, 10, T0);
	pit_write(&p, 0x40, 0, T0);
	ck_assert_uint_eq(pit_next_irq0(&p, T0), T0 + pit_ticks_to_ns(10));
	ck_assert_uint_eq(pit_irq0_edges(&p, T0 + 1000000), 1);
	ck_assert_uint_eq(pit_next_irq0(&p, T0 + 1000000), PIT_NEVER);
}
END_TEST

START_TEST(latch_readback_bcd)
{
	struct pit p;

	pit_init(&p, 0);
	pit_write(&p, 0x43, 0x34, T0);
	pit_write(&p, 0x40, 0x00, T0);
	pit_write(&p, 0x40, 0x10, T0);               /* 0x1000 */
	pit_write(&p, 0x43, 0x00, T0 + pit_ticks_to_ns(0x10));
	pit_write(&p, 0x43, 0x00, T0 + pit_ticks_to_ns(0x20));   /* ignored: latched */
	ck_assert_uint_eq(pit_read(&p, 0x40, T0 + 99999), 0xf0);
	ck_assert_uint_eq(pit_read(&p, 0x40, T0 + 99999), 0x0f);
	/* Live again. */
	ck_assert_uint_eq(pit_read(&p, 0x40, T0 + pit_ticks_to_ns(0x100)), 0x00);
	ck_assert_uint_eq(pit_read(&p, 0x40, T0 + pit_ticks_to_ns(0x100)), 0x0f);
	/* Read-back of channel 0 status and count: status first. */
	pit_write(&p, 0x43, 0xc2, T0 + pit_ticks_to_ns(0x30));
	ck_assert_uint_eq(pit_read(&p, 0x40, 0), 0x80 | 0x30 | 0x04);
	ck_assert_uint_eq(pit_read(&p, 0x40, 0), 0xd0);
	ck_assert_uint_eq(pit_read(&p, 0x40, 0), 0x0f);
	/* Status only, after a new mode with no count yet: null count set. */
	pit_write(&p, 0x43, 0x10, T0);                /* channel 0, LSB only, mode 0 */
	pit_write(&p, 0x43, 0xe2, T0);
	ck_assert_uint_eq(pit_read(&p, 0x40, T0), 0x40 | 0x10);
	/* BCD is refused: the status says binary. */
	pit_write(&p, 0x43, 0xb1, T0);
	ck_assert_uint_eq(p.refused, 1);
	pit_write(&p, 0x43, 0xe8, T0);
	ck_assert_uint_eq(pit_read(&p, 0x42, T0) & 0x0f, 0x00);
	ck_assert_uint_eq(pit_read(&p, 0x43, T0), 0xff);
	/* The approximated modes' OUT shapes on channel 2 (gate high): mode 1
	 * low until terminal count, mode 4 a one-tick low strobe. */
	pit_write(&p, 0x61, 0x01, T0);
	pit_write(&p, 0x43, 0x92, T0);
	pit_write(&p, 0x42, 10, T0);
	ck_assert(!pit_out(&p, 2, T0 + pit_ticks_to_ns(9)));
	ck_assert(pit_out(&p, 2, T0 + pit_ticks_to_ns(10)));
	pit_write(&p, 0x43, 0x98, T0);
	ck_assert(pit_out(&p, 2, T0));               /* no count yet: high */
	pit_write(&p, 0x42, 10, T0);
	ck_assert(pit_out(&p, 2, T0 + pit_ticks_to_ns(9)));
	ck_assert(!pit_out(&p, 2, T0 + pit_ticks_to_ns(10)));
	ck_assert(pit_out(&p, 2, T0 + pit_ticks_to_ns(11)));
	ck_assert_uint_eq(pit_next_irq0(&p, T0), PIT_NEVER);   /* channel 0 was left in mode 0, done */
}
END_TEST

START_TEST(tick_conversion)
{
	srandom(12);
	for (unsigned i = 0; i < 100000; i++) {
		uint64_t t = ((uint64_t)random() << 31 | (uint64_t)random()) >> (random() % 63);
		uint64_t ns = pit_ticks_to_ns(t);
		if (ns == PIT_NEVER)
			continue;
		if (pit_ns_to_ticks(ns) < t || (ns && pit_ns_to_ticks(ns - 1) >= t))
			ck_abort_msg("ticks %lu -> ns %lu", (unsigned long)t, (unsigned long)ns);
	}
	ck_assert_uint_eq(pit_ns_to_ticks(1000000000ull), PIT_HZ);
	ck_assert_uint_eq(pit_ticks_to_ns(UINT64_MAX), PIT_NEVER);
}
END_TEST

Suite *pit_suite(void)
{
	Suite *s = suite_create("pit8254");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, linux_pit_calibrate_tsc);
	tcase_add_test(tc, linux_quick_pit_calibrate);
	tcase_add_test(tc, channel0_periodic);
	tcase_add_test(tc, latch_readback_bcd);
	tcase_add_test(tc, tick_conversion);
	suite_add_tcase(s, tc);
	return s;
}
