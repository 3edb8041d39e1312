/* The PC devices our Multiboot kernels share (guest/mb/mb.h), driven as
 * kernels drive them on hardware and on QEMU. */
#include "guest/mb/mb.h"

#define PIT_10MS 11932                                /* 1193182 Hz */

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

void mb_rtc_wait_update(void)
{
	for (unsigned spin = 0; spin < 1000000 && (mb_cmos(0x0a) & 0x80); spin++)
		;
}

uint32_t mb_pci_read(unsigned dev, unsigned fn, unsigned reg)
{
	outl(0xcf8, 1u << 31 | dev << 11 | fn << 8 | (reg & 0xfc));
	return inl(0xcfc);
}

void mb_com1_thre_on(void)
{
	while (!(inb(MB_COM1 + 5) & 0x20))                /* LSR: THR empty */
		;
	outb(MB_COM1 + 1, 0x02);
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

void mb_pic_remap(uint8_t base, uint8_t master_mask, uint8_t slave_mask)
{
	outb(0x20, 0x11);                                 /* ICW1: edge, cascade, ICW4 */
	outb(0xa0, 0x11);
	outb(0x21, base);                                 /* ICW2: vectors */
	outb(0xa1, (uint8_t)(base + 8));
	outb(0x21, 0x04);                                 /* ICW3: the slave on IRQ 2 */
	outb(0xa1, 0x02);
	outb(0x21, 0x01);                                 /* ICW4: 8086 mode */
	outb(0xa1, 0x01);
	outb(0x21, master_mask);
	outb(0xa1, slave_mask);
}

void mb_pit_periodic(uint16_t divisor)
{
	outb(0x43, 0x34);                                 /* ch 0, lo/hi, mode 2 */
	outb(0x40, divisor & 0xff);
	outb(0x40, divisor >> 8);
}

void mb_pit_stop(void)
{
	outb(0x43, 0x30);                                 /* ch 0, lo/hi, mode 0 */
	outb(0x40, 0);
	outb(0x40, 0);
}

void mb_spin_until(volatile uint32_t *v, uint32_t want, uint64_t tsc)
{
	uint64_t end = rdtsc() + tsc;

	__asm__ volatile("sti");
	while (*v < want && rdtsc() < end)
		__asm__ volatile("pause");
	__asm__ volatile("cli");
}

void mb_halt_until(volatile uint32_t *v, uint32_t want, uint64_t tsc)
{
	uint64_t end = rdtsc() + tsc;

	while (*v < want && rdtsc() < end)
		__asm__ volatile("sti; hlt; cli");
}

void mb_pit_ch2_load(uint16_t count)
{
	outb(0x61, inb(0x61) & ~0x03);                    /* gate low, speaker off */
	outb(0x43, 0xb0);                                 /* ch 2, lo/hi, mode 0, binary */
	outb(0x42, (uint8_t)count);
	outb(0x42, (uint8_t)(count >> 8));
}

/* The gate raised, a spin until the output goes high (bounded: a PIT
 * that never counts ends the spin, not the kernel). */
static void pit_ch2_run(void)
{
	outb(0x61, (inb(0x61) & ~0x02) | 0x01);          /* gate high: it counts */
	for (unsigned spin = 0; spin < 100000000 && !(inb(0x61) & 0x20); spin++)
		;
}

static uint64_t pit_tsc_10ms_once(void)
{
	mb_pit_ch2_load(PIT_10MS);
	uint64_t t0 = rdtsc();
	pit_ch2_run();
	return rdtsc() - t0;
}

/* The shortest of three, as mb_pit_calibrate: one alone came out more
 * than twice too long under sealvisor on a loaded host (each poll of
 * port 0x61 is an exit to the VMM), failing mb-rtc-irq's timing checks. */
uint64_t mb_pit_tsc_10ms(void)
{
	uint64_t best = pit_tsc_10ms_once();

	for (int i = 0; i < 2; i++) {
		uint64_t t = pit_tsc_10ms_once();
		if (t && t < best)
			best = t;
	}
	return best;
}

static void pit_10ms(struct mb_calib *c)
{
	*mb_lapic(0xf0) |= 0x100;                         /* SVR: APIC on */
	*mb_lapic(0x3e0) = 0xb;                           /* divide by 1 */
	*mb_lapic(0x320) = 1u << 16;                      /* timer masked */
	*mb_lapic(0x380) = 0xffffffff;
	mb_pit_ch2_load(PIT_10MS);
	uint64_t t0 = rdtsc();
	uint32_t a0 = *mb_lapic(0x390);
	pit_ch2_run();
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
