/*
 * The MC146818 RTC and CMOS RAM at 0x70 (index; bit 7 masks NMI, kept for
 * the caller) and 0x71 (data), as QEMU's hw/rtc/mc146818rtc.c and its
 * pc machine's CMOS contents present them. The clock is the caller's:
 * wall time = epoch_s + now_ns / 10^9 + what the guest set.
 *
 * Time registers 0-9 and the century (0x32) read in BCD or binary and 12
 * or 24 hours by status B; writing them sets the clock (at once, or when
 * status B's SET bit is cleared). Status A's UIP is set during the last
 * 244 us of each second, so a driver waiting for it to clear never
 * waits longer. Interrupts (rtc_irq.c, as QEMU's): status C gathers PF
 * (the periodic rate of status A's low 4 bits, while PIE), UF (each
 * second) and AF (each second the alarm registers 1, 3 and 5 match, 0xc0
 * and up meaning any; not while SET); a flag enabled in status B also
 * sets IRQF, which raises IRQ 8 until status C is read (the read clears
 * them all). Enabling a flag already set raises it at once. Divider bits
 * 5-6 both set (reset) stop UF and AF. Not modelled: daylight saving,
 * the square-wave output.
 */
#ifndef SEALVISOR_VMM_RTC_CMOS_H
#define SEALVISOR_VMM_RTC_CMOS_H

#include <stdbool.h>
#include <stdint.h>

#define RTC_REG_A 0x0a
#define RTC_REG_B 0x0b
#define RTC_REG_C 0x0c
#define RTC_REG_D 0x0d
#define RTC_CENTURY 0x32

#define RTC_A_UIP 0x80u
#define RTC_B_SET 0x80u
#define RTC_B_BINARY 0x04u
#define RTC_B_24H 0x02u
#define RTC_B_PIE 0x40u
#define RTC_B_AIE 0x20u
#define RTC_B_UIE 0x10u
#define RTC_C_IRQF 0x80u
#define RTC_C_PF 0x40u
#define RTC_C_AF 0x20u
#define RTC_C_UF 0x10u
#define RTC_C_FLAGS 0x70u
#define RTC_D_VRT 0x80u

#define RTC_UIP_NS 244000u

struct rtc {
	uint8_t index;
	bool nmi_masked;
	uint8_t ram[128];
	uint64_t epoch_s;
	int64_t offset_s;        /* what the guest's writes moved the clock by */
	uint64_t events_ns;      /* time up to which status C's flags are gathered */
};

/* RAM sizes in bytes below and above 4 GiB; ncpus for QEMU's 0x5f. */
void rtc_init(struct rtc *r, uint64_t epoch_s, uint64_t now_ns, uint64_t ram_below_4g,
	      uint64_t ram_above_4g, unsigned ncpus);
/* port 0x70 or 0x71. */
uint8_t rtc_read(struct rtc *r, uint16_t port, uint64_t now_ns);
void rtc_write(struct rtc *r, uint16_t port, uint8_t val, uint64_t now_ns);
/* The wall time now, in seconds since 1970 (what the registers show). */
uint64_t rtc_wall(const struct rtc *r, uint64_t now_ns);

/* ---- interrupts (rtc_irq.c) ---- */
/* Gathers the flags of the events in (events_ns, now_ns] into status C. */
void rtc_tick(struct rtc *r, uint64_t now_ns);
/* IRQ 8's level: IRQF. */
bool rtc_irq_level(const struct rtc *r);
/* When an event could next raise IRQ 8 (UINT64_MAX: none can): none
 * while IRQF is already set, since only a read of status C lowers it. */
uint64_t rtc_next_event(const struct rtc *r, uint64_t now_ns);
/* Status C read (returns it, clears it) and status B written. */
uint8_t rtc_read_c(struct rtc *r, uint64_t now_ns);
void rtc_write_b(struct rtc *r, uint8_t val);
/* Whether the alarm registers match the wall second (rtc_cmos.c: the
 * registers' format). */
bool rtc_alarm_matches(const struct rtc *r, uint64_t wall);

/* Civil dates, shared with the tests: days since 1970-01-01. */
int64_t rtc_days_from_civil(int64_t y, unsigned m, unsigned d);

#endif
