/* The RTC/CMOS (guest/vmm/rtc_cmos.h). */
#include "guest/vmm/rtc_cmos.h"
#include "lib/string.h"

#define NS_PER_S 1000000000ull
#define KiB 1024ull
#define MiB (1024ull * KiB)

struct tm_fields {
	unsigned sec, min, hour, wday, mday, mon;   /* wday 1 = Sunday, as the RTC */
	int64_t year;
};

/* H. Hinnant's algorithms (days <-> proleptic Gregorian), valid for any
 * year the 8-bit registers can express. */
int64_t rtc_days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, struct tm_fields *t)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	unsigned doe = (unsigned)(z - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153;
	t->mday = doy - (153 * mp + 2) / 5 + 1;
	t->mon = mp < 10 ? mp + 3 : mp - 9;
	t->year = (int64_t)yoe + era * 400 + (t->mon <= 2);
}

uint64_t rtc_wall(const struct rtc *r, uint64_t now_ns)
{
	int64_t t = (int64_t)(r->epoch_s + now_ns / NS_PER_S) + r->offset_s;
	return t < 0 ? 0 : (uint64_t)t;
}

static void split(uint64_t wall, struct tm_fields *t)
{
	uint64_t days = wall / 86400, s = wall % 86400;

	t->sec = (unsigned)(s % 60);
	t->min = (unsigned)(s / 60 % 60);
	t->hour = (unsigned)(s / 3600);
	t->wday = (unsigned)((days + 4) % 7) + 1;   /* 1970-01-01 was a Thursday */
	civil_from_days((int64_t)days, t);
}

static bool binary(const struct rtc *r) { return r->ram[RTC_REG_B] & RTC_B_BINARY; }

static uint8_t enc(const struct rtc *r, unsigned v)
{
	v %= 100;
	return (uint8_t)(binary(r) ? v : (v / 10) << 4 | v % 10);
}

static unsigned dec(const struct rtc *r, uint8_t v)
{
	return binary(r) ? v : (unsigned)(v >> 4) * 10 + (v & 0x0f);
}

static uint8_t enc_hour(const struct rtc *r, unsigned h)
{
	if (r->ram[RTC_REG_B] & RTC_B_24H)
		return enc(r, h);
	unsigned h12 = h % 12 ? h % 12 : 12;
	return (uint8_t)(enc(r, h12) | (h >= 12 ? 0x80 : 0));
}

static unsigned dec_hour(const struct rtc *r, uint8_t v)
{
	if (r->ram[RTC_REG_B] & RTC_B_24H)
		return dec(r, v);
	return dec(r, v & 0x7f) % 12 + ((v & 0x80) ? 12 : 0);
}

/* The clock's value, in the current format, into the time registers. */
static void snapshot(struct rtc *r, uint64_t now)
{
	struct tm_fields t;

	split(rtc_wall(r, now), &t);
	r->ram[0] = enc(r, t.sec);
	r->ram[2] = enc(r, t.min);
	r->ram[4] = enc_hour(r, t.hour);
	r->ram[6] = enc(r, t.wday);
	r->ram[7] = enc(r, t.mday);
	r->ram[8] = enc(r, t.mon);
	r->ram[9] = enc(r, (unsigned)(t.year % 100));
	r->ram[RTC_CENTURY] = enc(r, (unsigned)(t.year / 100));
}

static unsigned clamp(unsigned v, unsigned lo, unsigned hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

/* The clock set from the time registers (what the guest wrote): out-of-
 * range fields are clamped, never trusted as indexes. */
static void apply(struct rtc *r, uint64_t now)
{
	int64_t year = (int64_t)dec(r, r->ram[RTC_CENTURY]) * 100 + dec(r, r->ram[9]);
	int64_t days = rtc_days_from_civil(year, clamp(dec(r, r->ram[8]), 1, 12),
					   clamp(dec(r, r->ram[7]), 1, 31));
	int64_t t = days * 86400 + (int64_t)clamp(dec_hour(r, r->ram[4]), 0, 23) * 3600 +
		    (int64_t)clamp(dec(r, r->ram[2]), 0, 59) * 60 + clamp(dec(r, r->ram[0]), 0, 59);
	r->offset_s = t - (int64_t)(r->epoch_s + now / NS_PER_S);
}

static void set_memory_bytes(struct rtc *r, uint64_t below, uint64_t above, unsigned ncpus)
{
	uint64_t v;

	r->ram[0x15] = 640 & 0xff;                 /* base memory, KiB */
	r->ram[0x16] = 640 >> 8;
	v = below > MiB ? (below - MiB) / KiB : 0; /* extended memory above 1 MiB, KiB */
	if (v > 0xffff)
		v = 0xffff;
	r->ram[0x17] = r->ram[0x30] = (uint8_t)v;
	r->ram[0x18] = r->ram[0x31] = (uint8_t)(v >> 8);
	v = below > 16 * MiB ? (below - 16 * MiB) / (64 * KiB) : 0;
	if (v > 0xffff)
		v = 0xffff;
	r->ram[0x34] = (uint8_t)v;
	r->ram[0x35] = (uint8_t)(v >> 8);
	v = above / (64 * KiB);
	r->ram[0x5b] = (uint8_t)v;
	r->ram[0x5c] = (uint8_t)(v >> 8);
	r->ram[0x5d] = (uint8_t)(v >> 16);
	r->ram[0x5f] = (uint8_t)(ncpus ? ncpus - 1 : 0);
}

void rtc_init(struct rtc *r, uint64_t epoch_s, uint64_t now_ns, uint64_t ram_below_4g,
	      uint64_t ram_above_4g, unsigned ncpus)
{
	memset(r, 0, sizeof(*r));
	r->epoch_s = epoch_s;
	r->ram[RTC_REG_A] = 0x26;                  /* 32.768 kHz divider, 1024 Hz rate */
	r->ram[RTC_REG_B] = RTC_B_24H;             /* BCD, 24 hours: QEMU's */
	r->ram[RTC_REG_D] = RTC_D_VRT;
	set_memory_bytes(r, ram_below_4g, ram_above_4g, ncpus);
	r->events_ns = now_ns;
}

/* A field matches when equal in the registers' format, or "don't care"
 * (both top bits set), as QEMU's check_alarm. */
static bool alarm_field(uint8_t alarm, uint8_t now)
{
	return (alarm & 0xc0) == 0xc0 || alarm == now;
}

bool rtc_alarm_matches(const struct rtc *r, uint64_t wall)
{
	struct tm_fields t;

	split(wall, &t);
	return alarm_field(r->ram[1], enc(r, t.sec)) && alarm_field(r->ram[3], enc(r, t.min)) &&
	       alarm_field(r->ram[5], enc_hour(r, t.hour));
}

static bool is_time_reg(unsigned i)
{
	return i == 0 || i == 2 || i == 4 || (i >= 6 && i <= 9) || i == RTC_CENTURY;
}

static uint8_t read_data(struct rtc *r, uint64_t now)
{
	unsigned i = r->index;
	bool set = r->ram[RTC_REG_B] & RTC_B_SET;

	if (is_time_reg(i) && !set)
		snapshot(r, now);
	switch (i) {
	case RTC_REG_A: {
		uint8_t a = r->ram[RTC_REG_A] & 0x7f;
		if (!set && now % NS_PER_S >= NS_PER_S - RTC_UIP_NS)
			a |= RTC_A_UIP;
		return a;
	}
	case RTC_REG_C:
		return rtc_read_c(r, now);
	default:
		return r->ram[i];
	}
}

static void write_data(struct rtc *r, uint8_t val, uint64_t now)
{
	unsigned i = r->index;
	bool set = r->ram[RTC_REG_B] & RTC_B_SET;

	rtc_tick(r, now);                       /* events so far under the old settings */
	if (is_time_reg(i)) {
		if (!set)
			snapshot(r, now);
		r->ram[i] = val;
		if (!set)
			apply(r, now);
		return;
	}
	switch (i) {
	case RTC_REG_B:
		if ((val & RTC_B_SET) && !set)
			snapshot(r, now);       /* the registers hold still while SET */
		if (!(val & RTC_B_SET) && set) {
			r->ram[RTC_REG_B] = val;
			apply(r, now);
		}
		rtc_write_b(r, val);
		break;
	case RTC_REG_A:
		r->ram[i] = val & 0x7f;
		break;
	case RTC_REG_C: case RTC_REG_D:
		break;                          /* read-only */
	default:
		r->ram[i] = val;
		break;
	}
}

uint8_t rtc_read(struct rtc *r, uint16_t port, uint64_t now_ns)
{
	return port == 0x71 ? read_data(r, now_ns) : 0xff;
}

void rtc_write(struct rtc *r, uint16_t port, uint8_t val, uint64_t now_ns)
{
	if (port == 0x70) {
		r->index = val & 0x7f;
		r->nmi_masked = val & 0x80;
	} else if (port == 0x71) {
		write_data(r, val, now_ns);
	}
}
