/* mb-rtc: reading the CMOS clock and memory as PC kernels do: status
 * registers A (divider, UIP), B (BCD, 24 hours: QEMU's) and D (valid
 * RAM and time), a plausible date and time in valid BCD, the century
 * byte, the same time in binary and in 12-hour format, setting the clock
 * under B.SET, the NMI-disable bit of port 0x70, a general CMOS byte, and
 * the memory-size and CPU-count bytes QEMU's firmware interface leaves.
 * (RTC interrupts are mb-rtc-irq's.) Same lines on QEMU and under
 * ./sealvisor. */
#include "guest/mb/mb.h"

const char *mb_name = "mb-rtc";

static unsigned bcd(uint8_t v) { return (v >> 4) * 10u + (v & 15u); }
static bool valid_bcd(uint8_t v) { return (v >> 4) <= 9 && (v & 15) <= 9; }

struct clock { uint8_t sec, min, hour, wday, mday, mon, year, century; };

static void read_clock(struct clock *c)
{
	mb_rtc_wait_update();
	*c = (struct clock){ mb_cmos(0), mb_cmos(2), mb_cmos(4), mb_cmos(6), mb_cmos(7),
			     mb_cmos(8), mb_cmos(9), mb_cmos(0x32) };
}

static void status(void)
{
	mb_check((mb_cmos(0x0a) & 0x7f) == 0x26, "register A: 32.768 kHz divider, 1024 Hz rate (0x26)");
	mb_check(mb_cmos(0x0b) == 0x02, "register B: BCD, 24 hours, no interrupts (0x02)");
	mb_check(mb_cmos(0x0d) == 0x80, "register D: valid RAM and time (0x80)");
	outb(0x70, 0x80 | 0x0d);                          /* NMI disabled while reading */
	uint8_t d = inb(0x71);
	outb(0x70, 0x0d);
	mb_check(d == 0x80, "port 0x70 bit 7 (NMI disable) does not change the register");
}

static void clock(void)
{
	struct clock c, b, h;

	read_clock(&c);
	bool digits = valid_bcd(c.sec) && valid_bcd(c.min) && valid_bcd(c.hour) &&
		      valid_bcd(c.mday) && valid_bcd(c.mon) && valid_bcd(c.year);
	mb_check(digits && bcd(c.sec) < 60 && bcd(c.min) < 60 && bcd(c.hour) < 24 &&
		 c.mday >= 1 && bcd(c.mday) <= 31 && c.mon >= 1 && bcd(c.mon) <= 12 &&
		 c.wday >= 1 && c.wday <= 7, "date and time: valid BCD, plausible values");
	/* QEMU starts the clock at the host's time, sealvisor's VMM at
	 * 1970-01-01 (it has no wall clock): either century. */
	mb_check(c.century == 0x19 || c.century == 0x20, "century byte (0x32): 19 or 20, BCD");
	mb_cmos_write(0x0b, 0x06);                         /* binary */
	read_clock(&b);
	mb_cmos_write(0x0b, 0x00);                         /* BCD, 12 hours */
	read_clock(&h);
	mb_cmos_write(0x0b, 0x02);
	unsigned h24 = bcd(c.hour), h12 = bcd(h.hour & 0x7f);
	mb_check(b.min == bcd(c.min) && b.mday == bcd(c.mday) && b.year == bcd(c.year) &&
		 (b.sec - bcd(c.sec) + 60) % 60 <= 2, "binary format (B bit 2): the same time");
	mb_check((b.hour == h24 || b.hour == (h24 + 1) % 24) &&
		 h12 == (b.hour % 12 ? b.hour % 12 : 12) && !!(h.hour & 0x80) == (b.hour >= 12),
		 "12-hour format (B bit 1 clear): 1-12 with the PM bit");
}

static void set_clock(void)
{
	struct clock c;

	mb_cmos_write(0x0b, 0x82);                         /* SET: updates stop */
	static const uint8_t when[][2] = { { 0, 0x58 }, { 2, 0x59 }, { 4, 0x23 }, { 7, 0x31 },
					   { 8, 0x12 }, { 9, 0x23 }, { 0x32, 0x20 } };
	for (unsigned i = 0; i < sizeof(when) / sizeof(when[0]); i++)
		mb_cmos_write(when[i][0], when[i][1]);
	mb_cmos_write(0x0b, 0x02);
	read_clock(&c);
	bool same = c.century == 0x20 && c.year == 0x23 && c.mon == 0x12 && c.mday == 0x31 && c.hour == 0x23 &&
		    c.min == 0x59 && c.sec >= 0x58;
	bool rolled = c.century == 0x20 && c.year == 0x24 && c.mon == 0x01 && c.mday == 0x01 && c.hour == 0 &&
		      c.min == 0 && c.sec <= 0x01;
	mb_check(same || rolled, "set under B.SET to 2023-12-31 23:59:58 (century 20): reads back (or just rolled over)");
}

void mb_test(void)
{
	status();
	clock();
	set_clock();
	mb_cmos_write(0x48, 0x5a);
	bool a = mb_cmos(0x48) == 0x5a;
	mb_cmos_write(0x48, 0xa5);
	mb_check(a && mb_cmos(0x48) == 0xa5, "a general CMOS byte (0x48) holds what is written");
	uint32_t ext = mb_cmos(0x34) | (uint32_t)mb_cmos(0x35) << 8;
	/* The firmware may keep the top of RAM for itself (SeaBIOS does):
	 * mem_upper may end below what the CMOS says, by less than 1 MiB. */
	uint32_t cmos_top = 16 * 1024 + ext * 64, top = mb_boot_info ? mb_boot_info->mem_upper + 1024 : 0;
	mb_check(top <= cmos_top && cmos_top - top < 1024,
		 "bytes 0x34/0x35: RAM above 16 MiB, mem_upper's end within 1 MiB of it");
	mb_check(mb_cmos(0x5f) + 1u == mb_madt_cpus(), "byte 0x5f: CPUs less one, as the MADT");
}
