/*
 * The 8254 PIT (ports 0x40-0x43) and the port 0x61 bits that belong to it
 * (QEMU hw/timer/i8254*.c, hw/audio/pcspk.c). Input clock 1.193182 MHz,
 * derived from the caller's nanosecond clock: nothing runs between calls,
 * every value is computed from "now". Channel 0's output is IRQ 0: the
 * caller asks when it next rises (to arm a timer) and how many rising
 * edges happened since it last asked. Channel 2's gate is port 0x61 bit
 * 0, its output port 0x61 bit 5.
 *
 * Modes 0, 2 and 3 are modelled exactly (mode 0 pauses while the gate is
 * low; 2 and 3 restart on a rising gate and hold OUT high while it is
 * low). Modes 1, 4 and 5 are approximated: they count and set OUT as the
 * data sheet says, but counting starts when the count is written (mode 1
 * and 5 do not wait for a gate trigger; a rising gate restarts them), and
 * channel 0 in those modes raises no IRQ 0 edges (pit_next_irq0 says
 * never). BCD
 * counting is refused: the bit is dropped (status reads it 0), the
 * counter counts binary, and `refused` counts it. Read-back (0xc0-0xff)
 * latches counts and status.
 */
#ifndef SEALVISOR_VMM_PIT8254_H
#define SEALVISOR_VMM_PIT8254_H

#include <stdbool.h>
#include <stdint.h>

#define PIT_HZ 1193182ull
#define PIT_NEVER UINT64_MAX

struct pit_channel {
	uint32_t count;          /* 1..0x10000 (a written 0 means 0x10000) */
	uint16_t latched_count;
	uint8_t count_latched;   /* access mode of a pending counter latch, 0 none */
	uint8_t status, status_latched;
	uint8_t read_state, write_state, write_latch;
	uint8_t rw_mode, mode;
	bool gate, loaded;       /* loaded: a count was written since the mode was */
	uint64_t load_ns;        /* when counting (re)started */
	uint64_t base_ticks;     /* ticks counted before load_ns (mode 0/4 gate pauses) */
};

struct pit {
	struct pit_channel ch[3];
	bool speaker_data;       /* port 0x61 bit 1, kept for reads */
	uint64_t irq0_seen_ticks;/* channel 0 ticks already reported by pit_irq0_edges */
	uint64_t refused;        /* BCD requests */
};

void pit_init(struct pit *p, uint64_t now_ns);
/* port 0x40-0x43 and 0x61. */
uint8_t pit_read(struct pit *p, uint16_t port, uint64_t now_ns);
void pit_write(struct pit *p, uint16_t port, uint8_t val, uint64_t now_ns);
/* Channel n's OUT now. */
bool pit_out(const struct pit *p, unsigned n, uint64_t now_ns);
/* The next time after now_ns channel 0's OUT rises (IRQ 0), or PIT_NEVER. */
uint64_t pit_next_irq0(const struct pit *p, uint64_t now_ns);
/* Rising edges of channel 0's OUT since the last call (or the last
 * reprogramming), up to now_ns. Periodic modes may report many after a
 * long pause: the caller coalesces them into one IRQ 0 as QEMU does. */
uint64_t pit_irq0_edges(struct pit *p, uint64_t now_ns);

/* ns <-> PIT ticks, exact for any 64-bit value (no 128-bit arithmetic:
 * the partition has no libgcc). ticks_to_ns rounds up, so that
 * pit_ns_to_ticks(pit_ticks_to_ns(t)) >= t. */
uint64_t pit_ns_to_ticks(uint64_t ns);
uint64_t pit_ticks_to_ns(uint64_t ticks);

#endif
