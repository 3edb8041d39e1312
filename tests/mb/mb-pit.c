/* mb-pit: the 8254 as kernels use it to measure time: channel 2 in mode
 * 0, its gate and output through port 0x61 (gate and speaker bits read
 * back, the refresh bit toggles), the output low while the gate is low
 * and high after the count, a 10 ms one-shot measured twice alike with
 * the TSC, latched counts that fall at about 1.193 MHz, and the
 * read-back command's status byte (output, access mode, mode). Same lines
 * on QEMU and under ./sealvisor. */
#include "guest/mb/mb.h"

const char *mb_name = "mb-pit";

static uint16_t latch_ch2(void)
{
	outb(0x43, 0x80);                                 /* counter latch, channel 2 */
	uint8_t lo = inb(0x42);
	return (uint16_t)(lo | inb(0x42) << 8);
}

static uint8_t status_ch2(void)
{
	outb(0x43, 0xe8);                                 /* read-back: status only, channel 2 */
	return inb(0x42);
}

static bool alike(uint64_t x, uint64_t y) { return x && y && x < 2 * y && y < 2 * x; }

void mb_test(void)
{
	outb(0x61, (inb(0x61) & ~0x03) | 0x02);
	uint8_t speaker = inb(0x61) & 0x03;
	outb(0x61, (inb(0x61) & ~0x03) | 0x01);
	uint8_t gate = inb(0x61) & 0x03;
	outb(0x61, inb(0x61) & ~0x03);
	mb_check(speaker == 0x02 && gate == 0x01, "port 0x61: gate and speaker-data bits read back");
	uint8_t first = inb(0x61) & 0x10;
	bool toggled = false;
	for (int i = 0; i < 1000 && !toggled; i++)
		toggled = (inb(0x61) & 0x10) != first;
	mb_check(toggled, "port 0x61 bit 4 (refresh) toggles");

	mb_pit_ch2_load(11932);                               /* 10 ms */
	mb_check(!(inb(0x61) & 0x20), "mode 0: the output is low once programmed, gate low");
	mb_check((status_ch2() & 0x3f) == 0x30, "read-back status: lo/hi access, mode 0, binary");
	struct mb_calib a, m[2];
	mb_pit_calibrate(&a);
	mb_check(inb(0x61) & 0x20, "the output is high after the count");
	mb_check(status_ch2() & 0x80, "read-back status: output high");
	mb_pit_calibrate(&m[0]);
	mb_pit_calibrate(&m[1]);
	/* Two of three alike: an emulator on a loaded host may lose the CPU
	 * for a while in any one of them. */
	mb_check(alike(a.tsc_10ms, m[0].tsc_10ms) || alike(a.tsc_10ms, m[1].tsc_10ms) ||
		 alike(m[0].tsc_10ms, m[1].tsc_10ms),
		 "10 ms one-shots measure the TSC alike (two of three within a factor of 2)");

	/* Three tries: an emulator on a loaded host may lose the CPU between
	 * the two latches; a wrong rate fails every try. */
	bool rate = false;
	for (int try = 0; try < 3 && !rate; try++) {
		mb_pit_ch2_load(0xffff);
		outb(0x61, (inb(0x61) & ~0x02) | 0x01);  /* count */
		uint16_t c0 = latch_ch2();
		mb_delay(a.tsc_10ms / 5);                 /* 2 ms: about 2386 counts */
		uint16_t c1 = latch_ch2();
		outb(0x61, inb(0x61) & ~0x03);
		unsigned fell = (uint16_t)(c0 - c1);
		rate = c1 < c0 && fell > 600 && fell < 20000;
	}
	mb_check(rate, "latched counts fall about 2386 in 2 ms (600 to 20000)");
}
