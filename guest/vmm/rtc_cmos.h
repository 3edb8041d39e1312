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
 * waits longer. Status C reads UF once per elapsed second and clears on
 * read. Not modelled: periodic, alarm and update interrupts (IRQ 8 is
 * never raised; PIE/AIE/UIE are stored), daylight saving, the divider
 * chain reset (status A bits 4-6 are stored only).
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
#define RTC_C_UF 0x10u
#define RTC_D_VRT 0x80u

#define RTC_UIP_NS 244000u

struct rtc {
	uint8_t index;
	bool nmi_masked;
	uint8_t ram[128];
	uint64_t epoch_s;
	int64_t offset_s;        /* what the guest's writes moved the clock by */
	uint64_t uf_second;      /* the wall second status C last reported */
};

/* RAM sizes in bytes below and above 4 GiB; ncpus for QEMU's 0x5f. */
void rtc_init(struct rtc *r, uint64_t epoch_s, uint64_t now_ns, uint64_t ram_below_4g,
	      uint64_t ram_above_4g, unsigned ncpus);
/* port 0x70 or 0x71. */
uint8_t rtc_read(struct rtc *r, uint16_t port, uint64_t now_ns);
void rtc_write(struct rtc *r, uint16_t port, uint8_t val, uint64_t now_ns);
/* The wall time now, in seconds since 1970 (what the registers show). */
uint64_t rtc_wall(const struct rtc *r, uint64_t now_ns);

/* Civil dates, shared with the tests: days since 1970-01-01. */
int64_t rtc_days_from_civil(int64_t y, unsigned m, unsigned d);

#endif
