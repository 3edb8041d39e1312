/* The 8254 (guest/vmm/pit8254.h). Count and output formulas follow QEMU's
 * hw/timer/i8254_common.c/i8254.c, with d = input ticks since counting
 * started; the gate handling for mode 0 follows the data sheet (QEMU
 * ignores the gate in mode 0, which Linux's calibration never notices;
 * OUT's shapes, see out_at). */
#include "guest/vmm/pit8254.h"
#include "lib/string.h"

#define NS_PER_S 1000000000ull

enum { RW_LATCH = 0, RW_LSB = 1, RW_MSB = 2, RW_WORD0 = 3, RW_WORD1 = 4 };

uint64_t pit_ns_to_ticks(uint64_t ns)
{
	return (ns / NS_PER_S) * PIT_HZ + ((ns % NS_PER_S) * PIT_HZ) / NS_PER_S;
}

uint64_t pit_ticks_to_ns(uint64_t ticks)
{
	uint64_t q = ticks / PIT_HZ, r = ticks % PIT_HZ;
	uint64_t ns = ((r * NS_PER_S) + PIT_HZ - 1) / PIT_HZ;

	if (q > (UINT64_MAX - ns) / NS_PER_S)
		return PIT_NEVER;
	return q * NS_PER_S + ns;
}

void pit_init(struct pit *p, uint64_t now_ns)
{
	memset(p, 0, sizeof(*p));
	for (unsigned i = 0; i < 3; i++) {
		struct pit_channel *c = &p->ch[i];
		c->count = 0x10000;
		c->mode = 3;
		c->gate = i != 2;          /* channel 2's gate is port 0x61 bit 0, reset 0 */
		c->load_ns = now_ns;
		c->rw_mode = c->read_state = c->write_state = RW_WORD0;
	}
}

static bool gate_pauses(const struct pit_channel *c)
{
	return c->mode == 0 || c->mode == 4;
}

/* Input ticks the counter has counted since it was loaded. Counting needs
 * a loaded count; modes 0/4 pause while the gate is low; 2/3 stop (and
 * restart from the top on the rising gate). */
static uint64_t elapsed(const struct pit_channel *c, uint64_t now)
{
	if (!c->loaded)
		return 0;
	if (!c->gate)
		return gate_pauses(c) ? c->base_ticks : 0;
	return c->base_ticks + (now > c->load_ns ? pit_ns_to_ticks(now - c->load_ns) : 0);
}

static uint16_t current_count(const struct pit_channel *c, uint64_t now)
{
	uint64_t d = elapsed(c, now);

	switch (c->mode) {
	case 2:
		return (uint16_t)(c->count - d % c->count);
	case 3:   /* counts down by two, twice per period */
		return (uint16_t)(c->count - (2 * d) % c->count);
	default:
		return (uint16_t)(c->count - d);
	}
}

/* OUT after d ticks, in the data sheet's shapes. QEMU differs in modes
 * 2, 4 and 5, where it reports the one-tick pulse inverted (high for one
 * tick instead of low): IRQ 0 edges move by that one tick (838 ns). */
static bool out_at(const struct pit_channel *c, uint64_t d)
{
	switch (c->mode) {
	case 0:   /* low while counting, high at terminal count */
	case 1:   /* the same after the trigger (here: the count's load) */
		return d >= c->count;
	case 2:   /* low for the one tick the count wraps */
		return !(d % c->count == 0 && d != 0);
	case 3:
		return d % c->count < (c->count + 1) / 2;
	default: /* 4, 5: a one-tick low strobe at terminal count */
		return d != c->count;
	}
}

bool pit_out(const struct pit *p, unsigned n, uint64_t now_ns)
{
	const struct pit_channel *c = &p->ch[n % 3];

	if (!c->loaded)
		return c->mode != 0;
	if (!c->gate && (c->mode == 2 || c->mode == 3))
		return true;
	return out_at(c, elapsed(c, now_ns));
}

/* Rising edges of OUT in the first d ticks: mode 0 once at count; modes 2
 * and 3 once per period (mode 2 when the low tick ends, mode 3 when the
 * low half ends: both at every multiple of count). */
static uint64_t edges_upto(const struct pit_channel *c, uint64_t d)
{
	switch (c->mode) {
	case 0:
		return d >= c->count;
	case 2:
		return d ? (d - 1) / c->count : 0;
	case 3:
		return d / c->count;
	default:
		return 0;
	}
}

uint64_t pit_irq0_edges(struct pit *p, uint64_t now_ns)
{
	const struct pit_channel *c = &p->ch[0];
	uint64_t d = elapsed(c, now_ns);
	uint64_t n = edges_upto(c, d) - edges_upto(c, p->irq0_seen_ticks);

	if (d > p->irq0_seen_ticks)
		p->irq0_seen_ticks = d;
	return n;
}

uint64_t pit_next_irq0(const struct pit *p, uint64_t now_ns)
{
	const struct pit_channel *c = &p->ch[0];
	uint64_t d = elapsed(c, now_ns), target;

	if (!c->loaded || !c->gate)
		return PIT_NEVER;
	switch (c->mode) {
	case 0:
		if (d >= c->count)
			return PIT_NEVER;
		target = c->count;
		break;
	case 2:   /* the edges at k*count+1, k >= 1 */
		target = (d ? (d - 1) / c->count + 1 : 1) * c->count + 1;
		break;
	case 3:
		target = (d / c->count + 1) * c->count;
		break;
	default:
		return PIT_NEVER;
	}
	uint64_t ns = pit_ticks_to_ns(target - c->base_ticks);
	return ns == PIT_NEVER || ns > PIT_NEVER - c->load_ns ? PIT_NEVER : c->load_ns + ns;
}

static void load_count(struct pit *p, struct pit_channel *c, uint32_t val, uint64_t now)
{
	c->count = val ? val : 0x10000;
	c->loaded = true;
	c->load_ns = now;
	c->base_ticks = 0;
	if (c == &p->ch[0])
		p->irq0_seen_ticks = 0;
}

static void latch_count(struct pit_channel *c, uint64_t now)
{
	if (c->count_latched)
		return;   /* a second latch before the read is ignored */
	c->latched_count = current_count(c, now);
	c->count_latched = c->rw_mode;
}

static void read_back(struct pit *p, uint8_t val, uint64_t now)
{
	for (unsigned i = 0; i < 3; i++) {
		struct pit_channel *c = &p->ch[i];
		if (!(val & (2u << i)))
			continue;
		if (!(val & 0x20))
			latch_count(c, now);
		if (!(val & 0x10) && !c->status_latched) {
			c->status = (uint8_t)(pit_out(p, i, now) << 7 | (!c->loaded) << 6 |
					      c->rw_mode << 4 | c->mode << 1);
			c->status_latched = 1;
		}
	}
}

static void write_control(struct pit *p, uint8_t val, uint64_t now)
{
	unsigned n = val >> 6;

	if (n == 3) {
		read_back(p, val, now);
		return;
	}
	struct pit_channel *c = &p->ch[n];
	unsigned access = (val >> 4) & 3;
	if (access == RW_LATCH) {
		latch_count(c, now);
		return;
	}
	if (val & 1)
		p->refused++;
	c->rw_mode = c->read_state = c->write_state = (uint8_t)access;
	c->mode = (val >> 1) & 7;
	if (c->mode >= 6)
		c->mode -= 4;   /* 6 and 7 are aliases of 2 and 3 */
	c->loaded = false;  /* the counter waits for a new count */
	c->base_ticks = 0;
	if (n == 0)
		p->irq0_seen_ticks = 0;
}

static void write_counter(struct pit *p, struct pit_channel *c, uint8_t val, uint64_t now)
{
	switch (c->write_state) {
	case RW_LSB:
		load_count(p, c, val, now);
		break;
	case RW_MSB:
		load_count(p, c, (uint32_t)val << 8, now);
		break;
	case RW_WORD0:
		c->write_latch = val;
		c->write_state = RW_WORD1;
		break;
	default:
		load_count(p, c, c->write_latch | (uint32_t)val << 8, now);
		c->write_state = RW_WORD0;
		break;
	}
}

static uint8_t read_counter(struct pit_channel *c, uint64_t now)
{
	uint16_t v;

	if (c->status_latched) {
		c->status_latched = 0;
		return c->status;
	}
	if (c->count_latched) {
		v = c->latched_count;
		switch (c->count_latched) {
		case RW_LSB:
			c->count_latched = 0;
			return (uint8_t)v;
		case RW_MSB:
			c->count_latched = 0;
			return (uint8_t)(v >> 8);
		case RW_WORD0:
			c->count_latched = RW_MSB;   /* the high byte next, then done */
			return (uint8_t)v;
		}
	}
	v = current_count(c, now);
	switch (c->read_state) {
	case RW_LSB:
		return (uint8_t)v;
	case RW_MSB:
		return (uint8_t)(v >> 8);
	case RW_WORD0:
		c->read_state = RW_WORD1;
		return (uint8_t)v;
	default:
		c->read_state = RW_WORD0;
		return (uint8_t)(v >> 8);
	}
}

static void set_gate2(struct pit *p, bool gate, uint64_t now)
{
	struct pit_channel *c = &p->ch[2];

	if (gate == c->gate)
		return;
	if (gate_pauses(c)) {
		if (!gate)
			c->base_ticks = elapsed(c, now);
		c->load_ns = now;
	} else if (gate) {
		/* Modes 1, 2, 3, 5: a rising gate (re)starts the count. */
		c->load_ns = now;
		c->base_ticks = 0;
	}
	c->gate = gate;
}

uint8_t pit_read(struct pit *p, uint16_t port, uint64_t now_ns)
{
	if (port >= 0x40 && port <= 0x42)
		return read_counter(&p->ch[port - 0x40], now_ns);
	if (port == 0x61) {
		/* Bit 4: the DRAM refresh toggle, every 15 us, as QEMU's. */
		bool refresh = (now_ns / 15000) & 1;
		return (uint8_t)(p->ch[2].gate | p->speaker_data << 1 | refresh << 4 |
				 pit_out(p, 2, now_ns) << 5);
	}
	return 0xff;   /* 0x43 is write-only */
}

void pit_write(struct pit *p, uint16_t port, uint8_t val, uint64_t now_ns)
{
	if (port >= 0x40 && port <= 0x42) {
		write_counter(p, &p->ch[port - 0x40], val, now_ns);
	} else if (port == 0x43) {
		write_control(p, val, now_ns);
	} else if (port == 0x61) {
		p->speaker_data = (val >> 1) & 1;
		set_gate2(p, val & 1, now_ns);
	}
}
