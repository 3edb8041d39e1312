/* guest/vmm/rtc_cmos.c: the time a driver reads in each format, the UIP
 * wait loop, setting the clock, status registers, and the memory-size
 * bytes as QEMU's pc machine writes them. */
#include "guest/vmm/rtc_cmos.h"
#include "tests/unit/unit.h"

#define NS 1000000000ull
#define GiB (1024ull * 1024 * 1024)
#define MiB (1024ull * 1024)

static uint8_t cmos(struct rtc *r, uint8_t idx, uint64_t now)
{
	rtc_write(r, 0x70, idx, now);
	return rtc_read(r, 0x71, now);
}

/* 2026-11-25 23:59:14 UTC, a Wednesday. */
static uint64_t when(void)
{
	return (uint64_t)rtc_days_from_civil(2026, 11, 25) * 86400 + 23 * 3600 + 59 * 60 + 14;
}

START_TEST(civil_dates)
{
	ck_assert_int_eq(rtc_days_from_civil(1970, 1, 1), 0);
	ck_assert_int_eq(rtc_days_from_civil(2000, 3, 1), 11017);
	ck_assert_int_eq(rtc_days_from_civil(1969, 12, 31), -1);
	ck_assert_int_eq(rtc_days_from_civil(2100, 3, 1) - rtc_days_from_civil(2100, 2, 28), 1);
}
END_TEST

START_TEST(read_time_formats)
{
	struct rtc r;

	rtc_init(&r, when() - 7, 0, 64 * MiB, 0, 1);
	uint64_t now = 7 * NS + 1000;
	ck_assert_uint_eq(cmos(&r, 0, now), 0x14);
	ck_assert_uint_eq(cmos(&r, 2, now), 0x59);
	ck_assert_uint_eq(cmos(&r, 4, now), 0x23);
	ck_assert_uint_eq(cmos(&r, 6, now), 0x04);   /* Wednesday; Sunday = 1 */
	ck_assert_uint_eq(cmos(&r, 7, now), 0x25);
	ck_assert_uint_eq(cmos(&r, 8, now), 0x11);
	ck_assert_uint_eq(cmos(&r, 9, now), 0x26);
	ck_assert_uint_eq(cmos(&r, RTC_CENTURY, now), 0x20);
	/* 46 s later the day, month... roll over. */
	ck_assert_uint_eq(cmos(&r, 7, now + 46 * NS), 0x26);
	ck_assert_uint_eq(cmos(&r, 4, now + 46 * NS), 0x00);
	/* Binary, 12 hours: 23 h is 11 PM. */
	rtc_write(&r, 0x70, RTC_REG_B, now);
	rtc_write(&r, 0x71, RTC_B_BINARY, now);
	ck_assert_uint_eq(cmos(&r, 4, now), 0x80 | 11);
	ck_assert_uint_eq(cmos(&r, 0, now), 14);
	ck_assert_uint_eq(cmos(&r, 9, now), 26);
	rtc_write(&r, 0x70, RTC_REG_B, now);
	rtc_write(&r, 0x71, 0, now);                  /* BCD, 12 hours */
	ck_assert_uint_eq(cmos(&r, 4, now), 0x91);
	ck_assert_uint_eq(cmos(&r, 4, now + 46 * NS), 0x12);   /* midnight is 12 AM */
}
END_TEST

/* The driver's loop (Linux mc146818_get_time): wait while UIP, read. It
 * never waits longer than 244 us of the caller's clock. */
START_TEST(uip_wait)
{
	struct rtc r;

	rtc_init(&r, when(), 0, 0, 0, 1);
	uint64_t now = 3 * NS - 200000, t = now;
	unsigned spins = 0;
	while (cmos(&r, RTC_REG_A, t) & RTC_A_UIP) {
		t += 1000;
		ck_assert_uint_lt(++spins, 300);
	}
	ck_assert_uint_eq(spins, 200);
	ck_assert_uint_eq(cmos(&r, RTC_REG_A, 3 * NS - RTC_UIP_NS - 1), 0x26);
	ck_assert_uint_eq(cmos(&r, RTC_REG_A, 3 * NS - RTC_UIP_NS), 0xa6);
	/* UIP is not writable. */
	rtc_write(&r, 0x70, RTC_REG_A, 0);
	rtc_write(&r, 0x71, 0xff, 0);
	ck_assert_uint_eq(cmos(&r, RTC_REG_A, 0), 0x7f);
}
END_TEST

START_TEST(set_clock)
{
	struct rtc r;

	rtc_init(&r, when(), 0, 0, 0, 1);
	/* SET holds the registers; the new hour applies when SET clears. */
	rtc_write(&r, 0x70, RTC_REG_B, 0);
	rtc_write(&r, 0x71, RTC_B_SET | RTC_B_24H, 0);
	rtc_write(&r, 0x70, 4, 0);
	rtc_write(&r, 0x71, 0x05, 0);
	ck_assert_uint_eq(cmos(&r, 0, 5 * NS), 0x14);            /* frozen */
	ck_assert_uint_eq(cmos(&r, RTC_REG_A, NS - 1) & RTC_A_UIP, 0);
	rtc_write(&r, 0x70, RTC_REG_B, 5 * NS);
	rtc_write(&r, 0x71, RTC_B_24H, 5 * NS);
	ck_assert_uint_eq(cmos(&r, 4, 5 * NS), 0x05);
	ck_assert_uint_eq(cmos(&r, 0, 6 * NS), 0x15);            /* running again */
	ck_assert_uint_eq(rtc_wall(&r, 5 * NS), when() - 18 * 3600);
	/* Without SET a write applies at once. */
	rtc_write(&r, 0x70, 9, 6 * NS);
	rtc_write(&r, 0x71, 0x30, 6 * NS);
	ck_assert_uint_eq(cmos(&r, 9, 6 * NS), 0x30);
	ck_assert_uint_eq(cmos(&r, 8, 6 * NS), 0x11);
}
END_TEST

START_TEST(status_and_ram)
{
	struct rtc r;

	rtc_init(&r, when(), 0, 3 * GiB + 512 * MiB, 2 * GiB, 4);
	ck_assert_uint_eq(cmos(&r, RTC_REG_B, 0), 0x02);
	ck_assert_uint_eq(cmos(&r, RTC_REG_D, 0), 0x80);
	ck_assert_uint_eq(cmos(&r, RTC_REG_C, 0), 0);
	ck_assert_uint_eq(cmos(&r, RTC_REG_C, 2 * NS), RTC_C_UF);
	ck_assert_uint_eq(cmos(&r, RTC_REG_C, 2 * NS), 0);        /* cleared by the read */
	rtc_write(&r, 0x70, RTC_REG_D, 0);
	rtc_write(&r, 0x71, 0, 0);
	ck_assert_uint_eq(cmos(&r, RTC_REG_D, 0), 0x80);
	/* 640 KiB base; 65535 KiB extended (capped); above 16 MiB in 64 KiB
	 * units; above 4 GiB in 64 KiB units over three bytes; CPUs - 1. */
	ck_assert_uint_eq(cmos(&r, 0x15, 0) | cmos(&r, 0x16, 0) << 8, 640);
	ck_assert_uint_eq(cmos(&r, 0x17, 0) | cmos(&r, 0x18, 0) << 8, 0xffff);
	ck_assert_uint_eq(cmos(&r, 0x30, 0) | cmos(&r, 0x31, 0) << 8, 0xffff);
	ck_assert_uint_eq(cmos(&r, 0x34, 0) | cmos(&r, 0x35, 0) << 8,
			  (3 * GiB + 512 * MiB - 16 * MiB) / 65536);
	ck_assert_uint_eq(cmos(&r, 0x5b, 0) | cmos(&r, 0x5c, 0) << 8 | cmos(&r, 0x5d, 0) << 16,
			  2 * GiB / 65536);
	ck_assert_uint_eq(cmos(&r, 0x5f, 0), 3);
	rtc_init(&r, 0, 0, 64 * MiB, 0, 1);
	ck_assert_uint_eq(cmos(&r, 0x17, 0) | cmos(&r, 0x18, 0) << 8, 63 * 1024);
	ck_assert_uint_eq(cmos(&r, 0x34, 0) | cmos(&r, 0x35, 0) << 8, 48 * 16);
	/* Index port: bit 7 is the NMI mask, kept apart; the port reads 0xff. */
	rtc_write(&r, 0x70, 0x8f, 0);
	ck_assert(r.nmi_masked);
	ck_assert_uint_eq(r.index, 0x0f);
	ck_assert_uint_eq(rtc_read(&r, 0x70, 0), 0xff);
	rtc_write(&r, 0x71, 0x5a, 0);
	ck_assert_uint_eq(cmos(&r, 0x0f, 0), 0x5a);
	ck_assert(!r.nmi_masked);
}
END_TEST

static void set(struct rtc *r, uint8_t idx, uint8_t val, uint64_t now)
{
	rtc_write(r, 0x70, idx, now);
	rtc_write(r, 0x71, val, now);
}

/* Periodic interrupts at status A's rate: IRQF and IRQ 8 with PIE, up
 * until status C is read (which clears every flag); none without PIE;
 * the deadline the VMM gets is the next period, none while IRQF is up. */
START_TEST(periodic_interrupt_until_status_c_is_read)
{
	struct rtc r;
	uint64_t p = NS / 16;                                  /* rate 12: 16 Hz */

	rtc_init(&r, when(), 0, 128 * MiB, 0, 1);
	set(&r, RTC_REG_A, 0x2c, 0);
	ck_assert_uint_eq(rtc_next_event(&r, 0), UINT64_MAX);  /* no PIE, no UIE/AIE */
	rtc_tick(&r, 3 * p);
	ck_assert(!rtc_irq_level(&r));
	ck_assert_uint_eq(cmos(&r, RTC_REG_C, 3 * p), 0);      /* QEMU: no PF without PIE */
	set(&r, RTC_REG_B, RTC_B_24H | RTC_B_PIE, 3 * p);
	ck_assert_uint_eq(rtc_next_event(&r, 3 * p + 1), 4 * p);
	rtc_tick(&r, 4 * p - 1);
	ck_assert(!rtc_irq_level(&r));
	rtc_tick(&r, 4 * p);
	ck_assert(rtc_irq_level(&r));
	ck_assert_uint_eq(rtc_next_event(&r, 4 * p), UINT64_MAX);
	rtc_tick(&r, 6 * p);                                   /* more periods: still one line */
	ck_assert_uint_eq(cmos(&r, RTC_REG_C, 6 * p), RTC_C_IRQF | RTC_C_PF);
	ck_assert(!rtc_irq_level(&r));
	ck_assert_uint_eq(cmos(&r, RTC_REG_C, 6 * p), 0);
	ck_assert_uint_eq(rtc_next_event(&r, 6 * p), 7 * p);
	set(&r, RTC_REG_A, 0x20, 6 * p);                        /* rate 0: off */
	ck_assert_uint_eq(rtc_next_event(&r, 6 * p), UINT64_MAX);
	set(&r, RTC_REG_A, 0x21, 6 * p);                        /* rate 1 acts as 8: 256 Hz */
	ck_assert_uint_eq(rtc_next_event(&r, 0), NS / 256);
}
END_TEST

/* Update-ended each second (the flag always, IRQF only with UIE); the
 * alarm at its second (0xc0 and up: any), not while SET; enabling a flag
 * already set raises IRQ 8 at once, disabling it lowers the line. */
START_TEST(update_and_alarm_interrupts)
{
	struct rtc r;

	rtc_init(&r, when(), 0, 128 * MiB, 0, 1);               /* 23:59:14 */
	set(&r, RTC_REG_B, RTC_B_24H | RTC_B_UIE, 0);
	ck_assert_uint_eq(rtc_next_event(&r, NS / 2), NS);
	rtc_tick(&r, NS);
	ck_assert(rtc_irq_level(&r));
	ck_assert_uint_eq(cmos(&r, RTC_REG_C, NS), RTC_C_IRQF | RTC_C_UF);
	set(&r, RTC_REG_B, RTC_B_24H, NS);
	rtc_tick(&r, 2 * NS);
	ck_assert(!rtc_irq_level(&r));                          /* UF set, not enabled */
	set(&r, RTC_REG_B, RTC_B_24H | RTC_B_UIE, 2 * NS);      /* enabled now: at once */
	ck_assert(rtc_irq_level(&r));
	set(&r, RTC_REG_B, RTC_B_24H, 2 * NS);
	ck_assert(!rtc_irq_level(&r));
	ck_assert_uint_eq(cmos(&r, RTC_REG_C, 2 * NS), RTC_C_UF);

	/* Alarm at 23:59:20 (BCD), hour and minute "any". */
	set(&r, 1, 0x20, 2 * NS);
	set(&r, 3, 0xc0, 2 * NS);
	set(&r, 5, 0xff, 2 * NS);
	set(&r, RTC_REG_B, RTC_B_24H | RTC_B_AIE, 2 * NS);
	rtc_tick(&r, 5 * NS);                                   /* :19 */
	ck_assert(!rtc_irq_level(&r));
	ck_assert_uint_eq(cmos(&r, RTC_REG_C, 5 * NS), RTC_C_UF);
	rtc_tick(&r, 6 * NS);                                   /* :20 */
	ck_assert(rtc_irq_level(&r));
	ck_assert_uint_eq(cmos(&r, RTC_REG_C, 6 * NS), RTC_C_IRQF | RTC_C_AF | RTC_C_UF);
	/* A day later, the VMM asleep: the alarm passed, once. */
	rtc_tick(&r, 6 * NS + 86400 * NS);
	ck_assert_uint_eq(cmos(&r, RTC_REG_C, 6 * NS + 86400 * NS),
			  RTC_C_IRQF | RTC_C_AF | RTC_C_UF);
	/* SET holds the time of day: no alarm, the update flag still. */
	set(&r, RTC_REG_B, RTC_B_24H | RTC_B_AIE | RTC_B_SET, 86406 * NS);
	rtc_tick(&r, 86400 * NS * 2 + 6 * NS);
	ck_assert_uint_eq(cmos(&r, RTC_REG_C, 86400 * NS * 2 + 6 * NS), RTC_C_UF);
	/* Dividers in reset: no update, no alarm. */
	set(&r, RTC_REG_B, RTC_B_24H | RTC_B_AIE, 86400 * NS * 2 + 6 * NS);
	set(&r, RTC_REG_A, 0x66, 86400 * NS * 2 + 6 * NS);
	ck_assert_uint_eq(rtc_next_event(&r, 86400 * NS * 2 + 6 * NS), UINT64_MAX);
	rtc_tick(&r, 86400 * NS * 3 + 6 * NS);
	ck_assert_uint_eq(cmos(&r, RTC_REG_C, 86400 * NS * 3 + 6 * NS), 0);
}
END_TEST

Suite *rtc_suite(void)
{
	Suite *s = suite_create("rtc_cmos");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, civil_dates);
	tcase_add_test(tc, read_time_formats);
	tcase_add_test(tc, uip_wait);
	tcase_add_test(tc, set_clock);
	tcase_add_test(tc, status_and_ram);
	tcase_add_test(tc, periodic_interrupt_until_status_c_is_read);
	tcase_add_test(tc, update_and_alarm_interrupts);
	suite_add_tcase(s, tc);
	return s;
}
