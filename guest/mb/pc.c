/* The PC devices our Multiboot kernels share (guest/mb/mb.h), driven as
 * kernels drive them on hardware and on QEMU. */
#include "guest/mb/mb.h"

uint8_t mb_cmos(uint8_t reg)
{
	outb(0x70, reg);
	return inb(0x71);
}

void mb_cmos_write(uint8_t reg, uint8_t v)
{
	outb(0x70, reg);
	outb(0x71, v);
}

uint32_t mb_pci_read(unsigned dev, unsigned fn, unsigned reg)
{
	uint32_t v, addr = 1u << 31 | dev << 11 | fn << 8 | (reg & 0xfc);

	__asm__ volatile("outl %0, %1" : : "a"(addr), "Nd"((uint16_t)0xcf8));
	__asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"((uint16_t)0xcfc));
	return v;
}

void mb_delay(uint64_t tsc)
{
	uint64_t end = rdtsc() + tsc;
	while (rdtsc() < end)
		__asm__ volatile("pause");
}

void mb_pic_mask_all(void)
{
	outb(0x21, 0xff);
	outb(0xa1, 0xff);
}

static void pit_10ms(struct mb_calib *c)
{
	*mb_lapic(0xf0) |= 0x100;                         /* SVR: APIC on */
	*mb_lapic(0x3e0) = 0xb;                           /* divide by 1 */
	*mb_lapic(0x320) = 1u << 16;                      /* timer masked */
	*mb_lapic(0x380) = 0xffffffff;
	outb(0x61, inb(0x61) & ~0x03);                    /* gate low, speaker off */
	outb(0x43, 0xb0);                                 /* ch 2, lo/hi, mode 0 */
	outb(0x42, 11932 & 0xff);                         /* 1193182 Hz: 10 ms */
	outb(0x42, 11932 >> 8);
	uint64_t t0 = rdtsc();
	uint32_t a0 = *mb_lapic(0x390);
	outb(0x61, (inb(0x61) & ~0x02) | 0x01);          /* gate high: it counts */
	for (unsigned spin = 0; spin < 100000000 && !(inb(0x61) & 0x20); spin++)
		;
	c->tsc_10ms = rdtsc() - t0;
	c->apic_10ms = a0 - *mb_lapic(0x390);
	*mb_lapic(0x380) = 0;
}

/* The shortest of three: an emulator that loses the host CPU during one
 * only ever makes it look longer (Linux's calibration keeps the minimum
 * too). */
void mb_pit_calibrate(struct mb_calib *c)
{
	struct mb_calib t;

	pit_10ms(c);
	for (int i = 0; i < 2; i++) {
		pit_10ms(&t);
		if (t.tsc_10ms && t.tsc_10ms < c->tsc_10ms)
			*c = t;
	}
}
