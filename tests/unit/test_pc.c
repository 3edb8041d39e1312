/* guest/vmm/pc_machine.c: port routing with the values a guest reads
 * (isa-debug-exit, reset lines, keyboard controller, PCI host bridge,
 * unknown ports, split wide accesses), the interrupt glue from device to
 * "vector V for vCPU D", and 10^5 random accesses with invariants. */
#include <stdlib.h>
#include <sealvisor/errno.h>
#include "guest/vmm/pc_machine.h"
#include "guest/vmm/com1_input.h"
#include "tests/unit/unit.h"

#define MiB (1024ull * 1024)

static unsigned ntx;
static void tx(void *ctx, uint8_t b) { (void)ctx; (void)b; ntx++; }

static void invariants(const struct pc *pc);

static void machine(struct pc *pc)
{
	const struct pc_config cfg = { .now_ns = 0, .epoch_s = 1700000000, .ram_below_4g = 64 * MiB,
				       .ncpus = 2, .com1_tx = tx };
	ntx = 0;
	ck_assert_int_eq(pc_init(pc, &cfg), 0);
}

static uint32_t in(struct pc *pc, uint16_t port, unsigned size)
{
	uint32_t v = 0xdeadbeef;
	ck_assert_int_eq(pc_io(pc, port, size, false, &v, 0), 0);
	return v;
}

static void out(struct pc *pc, uint16_t port, unsigned size, uint32_t v)
{
	ck_assert_int_eq(pc_io(pc, port, size, true, &v, 0), 0);
}

START_TEST(debug_exit_and_reset)
{
	struct pc pc;
	static const struct { unsigned size; uint32_t val, status; } ex[] = {
		{ 1, 0x10, 0x21 }, { 1, 0x1ff, 0x1ff }, { 2, 0x12345, 0x468b }, { 4, 0x7fffffff, 0xffffffff },
	};

	for (unsigned i = 0; i < 4; i++) {
		machine(&pc);
		out(&pc, 0xf4, ex[i].size, ex[i].val);
		ck_assert_int_eq(pc.stop, PC_DEBUG_EXIT);
		ck_assert_uint_eq(pc.exit_status, ex[i].status);
	}
	machine(&pc);
	ck_assert_uint_eq(in(&pc, 0xf4, 4), 0);
	ck_assert_uint_eq(in(&pc, 0x80, 1), 0xff);
	out(&pc, 0x80, 1, 0x55);
	ck_assert_uint_eq(pc.unknown_reads + pc.unknown_writes, 0);
	ck_assert_uint_eq(in(&pc, 0x64, 1), 0x1c);
	ck_assert_uint_eq(in(&pc, 0x60, 1), 0x00);
	out(&pc, 0x64, 1, 0xaa);
	ck_assert_int_eq(pc.stop, PC_RUNNING);
	out(&pc, 0x64, 1, 0xfe);
	ck_assert_int_eq(pc.stop, PC_RESET);
	machine(&pc);
	out(&pc, 0xcf9, 1, 0x02);                   /* reset type only */
	ck_assert_int_eq(pc.stop, PC_RUNNING);
	ck_assert_uint_eq(in(&pc, 0xcf9, 1), 0x02);
	out(&pc, 0xcf9, 1, 0x06);
	ck_assert_int_eq(pc.stop, PC_RESET);
	machine(&pc);
	ck_assert_uint_eq(in(&pc, 0x92, 1), 0x02);
	out(&pc, 0x92, 1, 0x01);
	ck_assert_int_eq(pc.stop, PC_RESET);
	/* ACPI S5 through PM1a control. */
	machine(&pc);
	ck_assert_uint_eq(in(&pc, 0x604, 2) & 1, 1);   /* SCI_EN: already in ACPI mode */
	out(&pc, 0x604, 2, (5u << 10) | 0x2000);
	ck_assert_int_eq(pc.stop, PC_POWEROFF);
}
END_TEST

/* After pc_init the guest finds what SeaBIOS leaves: PICs programmed and
 * masked, the PIT ticking at 18.2 Hz into masked inputs. */
START_TEST(firmware_state)
{
	struct pc pc;
	struct pc_delivery d;

	machine(&pc);
	ck_assert_uint_eq(in(&pc, 0x21, 1), 0xfb);
	ck_assert_uint_eq(in(&pc, 0xa1, 1), 0xff);
	uint64_t t = pc_next_event(&pc, 0);
	ck_assert_uint_ge(t, 54900000);
	ck_assert_uint_le(t, 55000000);
	pc_tick(&pc, t);
	ck_assert_int_eq(pc_next_delivery(&pc, &d), 0);   /* masked everywhere */
	out(&pc, 0x21, 1, 0xfa);
	pc_tick(&pc, pc_next_event(&pc, t));
	ck_assert_int_eq(pc_next_delivery(&pc, &d), 1);
	ck_assert_uint_eq(d.vector, 0x08);
	ck_assert_uint_eq(pc.unknown_reads + pc.unknown_writes, 0);
	/* A COM1 interrupt with the firmware's masks reaches nobody. */
	out(&pc, 0x20, 1, 0x20);
	out(&pc, 0x21, 1, 0xfb);
	out(&pc, 0x3f9, 1, UART_IER_THRI);
	ck_assert(pc.com1_line);
	ck_assert_int_eq(pc_next_delivery(&pc, &d), 0);
}
END_TEST

START_TEST(pci_host_bridge)
{
	struct pc pc;

	machine(&pc);
	out(&pc, 0xcf8, 4, 0x80000000);
	ck_assert_uint_eq(in(&pc, 0xcf8, 4), 0x80000000);
	ck_assert_uint_eq(in(&pc, 0xcfc, 4), 0x12378086);
	ck_assert_uint_eq(in(&pc, 0xcfe, 2), 0x1237);
	ck_assert_uint_eq(in(&pc, 0xcfd, 1), 0x80);
	ck_assert_uint_eq(in(&pc, 0xcfd, 4), 0xffffffff);   /* crosses the dword */
	out(&pc, 0xcf8, 4, 0x80000008);
	ck_assert_uint_eq(in(&pc, 0xcfc, 4), 0x06000002);
	out(&pc, 0xcf8, 4, 0x8000000c);
	ck_assert_uint_eq(in(&pc, 0xcfe, 1), 0x00);         /* header type 0 */
	out(&pc, 0xcf8, 4, 0x80000004);
	out(&pc, 0xcfc, 2, 0x0007);                          /* ignored */
	ck_assert_uint_eq(in(&pc, 0xcfc, 4), 0);
	out(&pc, 0xcf8, 4, 0x80000800);                      /* 00:01.0: nothing */
	ck_assert_uint_eq(in(&pc, 0xcfc, 4), 0xffffffff);
	ck_assert_uint_eq(in(&pc, 0xcfc, 2), 0xffff);
	out(&pc, 0xcf8, 4, 0x80010000);                      /* bus 1 */
	ck_assert_uint_eq(in(&pc, 0xcfc, 4), 0xffffffff);
	out(&pc, 0xcf8, 4, 0x00000000);                      /* disabled */
	ck_assert_uint_eq(in(&pc, 0xcfc, 1), 0xff);
	out(&pc, 0xcf8, 4, 0xffffffff);
	ck_assert_uint_eq(in(&pc, 0xcf8, 4), 0x80fffffc);
	/* Every bus 0 device/function probed as Linux's pci_scan_bus does: one. */
	unsigned found = 0;
	for (unsigned dev = 0; dev < 32; dev++)
		for (unsigned fn = 0; fn < 8; fn++) {
			out(&pc, 0xcf8, 4, 0x80000000u | dev << 11 | fn << 8);
			found += in(&pc, 0xcfc, 2) != 0xffff;
		}
	ck_assert_uint_eq(found, 1);
}
END_TEST

START_TEST(unknown_and_split)
{
	struct pc pc;
	uint32_t v = 0;

	machine(&pc);
	ck_assert_uint_eq(in(&pc, 0x1234, 1), 0xff);
	ck_assert_uint_eq(in(&pc, 0x1234, 2), 0xffff);
	ck_assert_uint_eq(in(&pc, 0x1234, 4), 0xffffffff);
	out(&pc, 0x1234, 4, 0);
	ck_assert_uint_eq(pc.unknown_reads, 3);
	ck_assert_uint_eq(pc.unknown_writes, 1);
	ck_assert_uint_eq(pc.last_unknown_port, 0x1234);
	ck_assert_int_eq(pc_io(&pc, 0x3f8, 3, false, &v, 0), -EINVAL);
	ck_assert_int_eq(pc_io(&pc, 0x3f8, 8, true, &v, 0), -EINVAL);
	/* outw to COM1: THR then IER, as two byte writes. */
	out(&pc, 0x3f8, 2, 0x0241);
	ck_assert_uint_eq(ntx, 1);
	ck_assert_uint_eq(in(&pc, 0x3f9, 1), 0x02);
	/* inl over LSR/MSR/SCR and one port past COM1. */
	ck_assert_uint_eq(in(&pc, 0x3fd, 4), 0xff00b060);
	ck_assert_uint_eq(pc.unknown_reads, 3);   /* partly known: not counted */
	/* The I/O APIC page through pc_mmio; elsewhere -ENOENT. */
	uint64_t w = 1;
	ck_assert_int_eq(pc_mmio(&pc, IOAPIC_BASE, 4, true, &w), 0);
	ck_assert_int_eq(pc_mmio(&pc, IOAPIC_BASE + 0x10, 4, false, &w), 0);
	ck_assert_uint_eq(w, 0x00170011);
	ck_assert_int_eq(pc_mmio(&pc, IOAPIC_BASE + 0x1000, 4, false, &w), -ENOENT);
	ck_assert_int_eq(pc_mmio(&pc, IOAPIC_BASE, 3, false, &w), -EINVAL);
	ck_assert_int_eq(pc_set_irq(&pc, 2, true), -EINVAL);
	ck_assert_int_eq(pc_set_irq(&pc, 16, true), -EINVAL);
}
END_TEST

static void linux_pic_init(struct pc *pc)
{
	static const uint8_t seq[][2] = {
		{ 0x20, 0x11 }, { 0x21, 0x20 }, { 0x21, 0x04 }, { 0x21, 0x01 },
		{ 0xa0, 0x11 }, { 0xa1, 0x28 }, { 0xa1, 0x02 }, { 0xa1, 0x01 },
		{ 0x21, 0x00 }, { 0xa1, 0x00 },
	};
	for (unsigned i = 0; i < sizeof(seq) / sizeof(seq[0]); i++)
		out(pc, seq[i][0], 1, seq[i][1]);
}

static uint32_t io_at(struct pc *pc, uint16_t port, bool write, uint32_t v, uint64_t now)
{
	ck_assert_int_eq(pc_io(pc, port, 1, write, &v, now), 0);
	return v;
}

/* The RTC's periodic interrupt on IRQ 8 through the I/O APIC (GSI 8):
 * the VMM's deadline is the next period; one edge per status C read, as
 * the line stays high until that read. */
START_TEST(rtc_irq8_through_the_io_apic)
{
	struct pc pc;
	struct pc_delivery d;
	uint64_t v, p = 1000000000ull / 16;

	machine(&pc);
	v = 0x20;                                          /* GSI 8: vector 0x38, APIC 0 */
	pc_mmio(&pc, IOAPIC_BASE, 4, true, &v);
	v = 0x38;
	pc_mmio(&pc, IOAPIC_BASE + 0x10, 4, true, &v);
	io_at(&pc, 0x70, true, RTC_REG_A, 0);
	io_at(&pc, 0x71, true, 0x2c, 0);                   /* 16 Hz */
	io_at(&pc, 0x70, true, RTC_REG_B, 0);
	io_at(&pc, 0x71, true, RTC_B_24H | RTC_B_PIE, 0);
	ck_assert_uint_eq(rtc_next_event(&pc.rtc, 0), p);      /* the PIT's 18.2 Hz comes first */
	ck_assert_uint_lt(pc_next_event(&pc, 0), p);
	pc_tick(&pc, p - 1);
	ck_assert_int_eq(pc_next_delivery(&pc, &d), 0);
	pc_tick(&pc, p);
	ck_assert_int_eq(pc_next_delivery(&pc, &d), 1);
	ck_assert_uint_eq(d.vector, 0x38);
	ck_assert(!d.from_pic && !d.level);
	pc_tick(&pc, 2 * p);                               /* C not read: the line stays up */
	ck_assert_int_eq(pc_next_delivery(&pc, &d), 0);
	io_at(&pc, 0x70, true, RTC_REG_C, 2 * p);
	ck_assert_uint_eq(io_at(&pc, 0x71, false, 0, 2 * p), RTC_C_IRQF | RTC_C_PF);
	ck_assert(!pc.rtc_line);
	pc_tick(&pc, 3 * p);
	ck_assert_int_eq(pc_next_delivery(&pc, &d), 1);
	ck_assert_uint_eq(d.vector, 0x38);
}
END_TEST

START_TEST(interrupt_glue)
{
	struct pc pc;
	struct pc_delivery d;

	machine(&pc);
	linux_pic_init(&pc);
	ck_assert_int_eq(pc_next_delivery(&pc, &d), 0);
	/* COM1 THRE: IRQ 4 through the PIC to vCPU 0. */
	out(&pc, 0x3f9, 1, UART_IER_THRI);
	ck_assert_int_eq(pc_next_delivery(&pc, &d), 1);
	ck_assert_uint_eq(d.vector, 0x24);
	ck_assert_uint_eq(d.dest, 0);
	ck_assert(d.from_pic);
	ck_assert_int_eq(pc_next_delivery(&pc, &d), 0);
	ck_assert_uint_eq(in(&pc, 0x3fa, 1), 0x02);  /* the driver's handler */
	out(&pc, 0x20, 1, 0x20);
	/* PIT channel 0, 1 kHz, through the I/O APIC (GSI 2) to vCPU 1. */
	pc.pic_to_bsp = false;
	uint64_t v = 0x14;
	pc_mmio(&pc, IOAPIC_BASE, 4, true, &v);
	v = 0x40;
	pc_mmio(&pc, IOAPIC_BASE + 0x10, 4, true, &v);
	v = 0x15;
	pc_mmio(&pc, IOAPIC_BASE, 4, true, &v);
	v = 1u << 24;
	pc_mmio(&pc, IOAPIC_BASE + 0x10, 4, true, &v);
	out(&pc, 0x43, 1, 0x34);
	out(&pc, 0x40, 1, 1193 & 0xff);
	out(&pc, 0x40, 1, 1193 >> 8);
	uint64_t t = pc_next_event(&pc, 0);
	ck_assert_uint_gt(t, 999000);
	ck_assert_uint_lt(t, 1001000);
	pc_tick(&pc, t - 1);
	ck_assert_int_eq(pc_next_delivery(&pc, &d), 0);
	pc_tick(&pc, t);
	ck_assert_int_eq(pc_next_delivery(&pc, &d), 1);
	ck_assert_uint_eq(d.vector, 0x40);
	ck_assert_uint_eq(d.dest, 1);
	ck_assert(!d.from_pic && !d.level);
	ck_assert_int_eq(pc_next_delivery(&pc, &d), 0);
	/* The PIC saw IRQ 0 too (both are wired), masked off from vCPU 0. */
	pc.pic_to_bsp = true;
	ck_assert_int_eq(pc_next_delivery(&pc, &d), 1);
	ck_assert_uint_eq(d.vector, 0x20);
	/* ExtINT through I/O APIC pin 0: the 8259 supplies the vector. */
	pc.pic_to_bsp = false;
	out(&pc, 0x20, 1, 0x20);
	v = 0x10;
	pc_mmio(&pc, IOAPIC_BASE, 4, true, &v);
	v = 0x700;
	pc_mmio(&pc, IOAPIC_BASE + 0x10, 4, true, &v);
	pc_set_irq(&pc, 1, true);
	ck_assert_int_eq(pc_next_delivery(&pc, &d), 0);   /* pin 1 masked */
	ioapic_set_irq(&pc.ioapic, 0, true);
	ck_assert_int_eq(pc_next_delivery(&pc, &d), 1);
	ck_assert_uint_eq(d.vector, 0x21);
	ck_assert(d.from_pic);
}
END_TEST

/* COM1 input through the I/O APIC (pin 4, edge as ISA): one interrupt
 * per rise of the UART's line, the line falling when the FIFO drains. */
/* A VMM that acknowledges the 8259 at vCPU 0's interrupt window: the
 * drain leaves the INTR raised; the INTA gives its vector once; an IRQ
 * masked before the INTA is never acknowledged. */
START_TEST(pic_inta_at_the_vmms_window)
{
	struct pc pc;
	struct pc_delivery d;

	machine(&pc);
	linux_pic_init(&pc);
	pc.pic_inta_by_vmm = true;
	ck_assert(!pc_pic_intr(&pc));
	ck_assert_int_eq(pc_pic_inta(&pc, &d), 0);
	out(&pc, 0x3f9, 1, UART_IER_THRI);
	ck_assert_int_eq(pc_next_delivery(&pc, &d), 0);      /* left for the window */
	ck_assert(pc_pic_intr(&pc));
	ck_assert_int_eq(pc_pic_inta(&pc, &d), 1);
	ck_assert_uint_eq(d.vector, 0x24);
	ck_assert(d.from_pic);
	ck_assert(!pc_pic_intr(&pc));                         /* in service */
	ck_assert_uint_eq(in(&pc, 0x3fa, 1), 0x02);
	out(&pc, 0x20, 1, 0x20);
	out(&pc, 0x3f9, 1, 0);
	out(&pc, 0x3f9, 1, UART_IER_THRI);                    /* raised again */
	ck_assert(pc_pic_intr(&pc));
	out(&pc, 0x21, 1, 0xff);                              /* masked before any INTA */
	ck_assert(!pc_pic_intr(&pc));
	ck_assert_int_eq(pc_pic_inta(&pc, &d), 0);
	/* An I/O APIC entry in ExtINT mode (pin 4 here) sends no message of
	 * its own: the 8259 is acknowledged at vCPU 0's window, as through
	 * LINT0 (QEMU's CPU reads the 8259 only if its LINT0 accepts it). */
	uint64_t v = 0x18;
	pc_mmio(&pc, IOAPIC_BASE, 4, true, &v);
	v = 0x700;
	pc_mmio(&pc, IOAPIC_BASE + 0x10, 4, true, &v);
	out(&pc, 0x3f9, 1, 0);
	out(&pc, 0x21, 1, 0xef);                              /* IRQ 4 open again */
	out(&pc, 0x3f9, 1, UART_IER_THRI);
	ck_assert_int_eq(pc_next_delivery(&pc, &d), 0);       /* not acknowledged here */
	ck_assert(pc_pic_intr(&pc));
	ck_assert_int_eq(pc_pic_inta(&pc, &d), 1);
	ck_assert_uint_eq(d.vector, 0x24);
}
END_TEST

START_TEST(com1_input_irq)
{
	struct pc pc;
	struct pc_delivery d;
	uint64_t v;

	machine(&pc);
	pc.pic_to_bsp = false;
	v = 0x18;
	pc_mmio(&pc, IOAPIC_BASE, 4, true, &v);
	v = 0x34;
	pc_mmio(&pc, IOAPIC_BASE + 0x10, 4, true, &v);
	out(&pc, 0x3fa, 1, UART_FCR_ENABLE);
	out(&pc, 0x3f9, 1, UART_IER_RDI);
	ck_assert_int_eq(pc_next_delivery(&pc, &d), 0);
	ck_assert_uint_eq(pc_com1_feed(&pc, (const uint8_t *)"hello", 5), 5);
	ck_assert_int_eq(pc_next_delivery(&pc, &d), 1);
	ck_assert_uint_eq(d.vector, 0x34);
	ck_assert_int_eq(pc_next_delivery(&pc, &d), 0);
	ck_assert_uint_eq(pc_com1_feed(&pc, (const uint8_t *)"!", 1), 1);
	ck_assert_int_eq(pc_next_delivery(&pc, &d), 0);   /* line already high */
	for (unsigned i = 0; i < 6; i++)
		ck_assert_uint_eq(in(&pc, 0x3f8, 1), (uint8_t)"hello!"[i]);
	ck_assert_uint_eq(in(&pc, 0x3fa, 1), 0xc1);
	ck_assert(!pc.com1_line);
	pc_com1_feed(&pc, (const uint8_t *)"x", 1);
	ck_assert_int_eq(pc_next_delivery(&pc, &d), 1);
}
END_TEST

/* The runner's input (com1_input.c): offered as the receiver has room,
 * one byte with the FIFO off, up to 16 with it on, in order, to the end. */
START_TEST(com1_input_follows_the_guests_reads)
{
	struct pc pc;
	static const char text[] = "0123456789abcdefghijklmnopqrstuvwxyz";

	machine(&pc);
	com1_input_set((const uint8_t *)text, sizeof(text) - 1);
	com1_input_feed_locked(&pc);
	ck_assert_uint_eq(pc.com1.rx_count, 1);                /* FIFO off: RBR only */
	com1_input_feed_locked(&pc);
	ck_assert_uint_eq(in(&pc, 0x3f8, 1), '0');
	out(&pc, 0x3fa, 1, UART_FCR_ENABLE);
	for (unsigned i = 1; i < sizeof(text) - 1; i++) {
		com1_input_feed_locked(&pc);
		ck_assert_uint_le(pc.com1.rx_count, UART_FIFO_SIZE);
		ck_assert(in(&pc, 0x3fd, 1) & UART_LSR_DR);
		ck_assert_uint_eq(in(&pc, 0x3f8, 1), (uint8_t)text[i]);
	}
	com1_input_feed_locked(&pc);
	ck_assert(!(in(&pc, 0x3fd, 1) & UART_LSR_DR));         /* all taken */
	com1_input_set(NULL, 0);
	com1_input_feed_locked(&pc);
	ck_assert(!(in(&pc, 0x3fd, 1) & UART_LSR_DR));
}
END_TEST

/* Every port, every size, read and write: no crash, the contract kept. */
START_TEST(every_port)
{
	struct pc pc;

	srandom(99);
	machine(&pc);
	for (uint32_t port = 0; port <= 0xffff; port++) {
		for (unsigned size = 1; size <= 4; size *= 2) {
			uint32_t v = 0x5a5a5a5a;
			if (pc_io(&pc, (uint16_t)port, size, false, &v, port * 1000ull) ||
			    (size < 4 && v >> (8 * size)))
				ck_abort_msg("read %#x size %u: %#x", port, size, v);
			v = (uint32_t)random();
			if (pc_io(&pc, (uint16_t)port, size, true, &v, port * 1000ull))
				ck_abort_msg("write %#x size %u", port, size);
			pc.stop = PC_RUNNING;   /* reset/exit requests: tested on their own */
		}
		invariants(&pc);
	}
	ck_assert_uint_gt(pc.unknown_reads, 65000 * 3);
}
END_TEST

static uint64_t rnd(void)
{
	return (uint64_t)random() << 33 ^ (uint64_t)random() << 11 ^ (uint64_t)random();
}

static uint16_t hostile_port(void)
{
	static const uint16_t ports[] = { 0x20, 0x21, 0xa0, 0xa1, 0x4d0, 0x4d1, 0x40, 0x41, 0x42,
					  0x43, 0x61, 0x60, 0x64, 0x70, 0x71, 0x92, 0xf4, 0x3f8,
					  0x3f9, 0x3fa, 0x3fb, 0x3fc, 0x3fd, 0x3fe, 0x3ff, 0x600,
					  0x602, 0x604, 0x608, 0xcf8, 0xcf9, 0xcfa, 0xcfc, 0xcfd,
					  0xcfe, 0xcff, 0xffff, 0x3f7 };
	if (random() % 8 == 0)
		return (uint16_t)random();
	return (uint16_t)(ports[random() % (sizeof(ports) / sizeof(ports[0]))] + random() % 2);
}

/* Plain checks, one ck_abort_msg on failure: Check's assertions each
 * write to a pipe, which 10^5 iterations cannot afford. */
#define INV(cond) do { if (!(cond)) return #cond; } while (0)

static const char *broken(const struct pc *pc)
{
	INV(pc->com1.rx_count <= uart_rx_capacity(&pc->com1));
	INV(pc->com1.rx_head < UART_FIFO_SIZE);
	INV((pc->com1.lsr & 0x60) == 0x60);
	INV(!!(pc->com1.lsr & UART_LSR_DR) == (pc->com1.rx_count != 0));
	for (unsigned i = 0; i < 2; i++) {
		INV(pc->pic.pic[i].init_state <= 3);
		INV((pc->pic.pic[i].elcr & ~pc->pic.pic[i].elcr_mask) == 0);
		INV((pc->pic.pic[i].irq_base & 7) == 0);
	}
	for (unsigned i = 0; i < 3; i++) {
		INV(pc->pit.ch[i].count >= 1 && pc->pit.ch[i].count <= 0x10000);
		INV(pc->pit.ch[i].mode <= 5);
	}
	INV(pc->rtc.index < 128);
	INV(pc->ioapic.queued < (1u << IOAPIC_PINS));
	INV(pc->ioapic.id < 16);
	for (unsigned i = 0; i < IOAPIC_PINS; i++) {
		uint64_t e = pc->ioapic.rte[i];
		INV((e & 0x00fffffffffe1000ull) == 0);   /* reserved, delivery status */
		INV((e & IOAPIC_RTE_LEVEL) || !(e & IOAPIC_RTE_REMOTE_IRR));
	}
	INV(pc->pm.cnt & ACPI_PM1_SCI_EN);
	INV((pc->pci.addr & 0x7f000003) == 0);
	return NULL;
}

static void invariants(const struct pc *pc)
{
	const char *why = broken(pc);

	if (why)
		ck_abort_msg("invariant broken: %s", why);
}

/* 10^5 random port, MMIO, IRQ line, timer and delivery operations, a
 * fresh machine now and then; the models never leave their invariants
 * and every call returns what its contract says. */
START_TEST(hostile_random)
{
	struct pc pc;
	uint64_t now = 0;
	static const unsigned sizes[] = { 1, 2, 4, 1, 2, 4, 0, 3, 8 };
	uint64_t delivered = 0, stops = 0;

	srandom(4242);
	machine(&pc);
	for (unsigned i = 0; i < 100000; i++) {
		now += rnd() % (random() % 4 ? 20000 : 200000000);
		unsigned size = sizes[random() % 9];
		uint32_t v = (uint32_t)rnd(), before = v;
		uint64_t w = rnd();
		struct pc_delivery d;
		switch (random() % 16) {
		default: {
			bool write = random() & 1;
			int rc = pc_io(&pc, hostile_port(), size, write, &v, now);
			bool ok = size == 1 || size == 2 || size == 4;
			if (rc != (ok ? 0 : -EINVAL))
				ck_abort_msg("pc_io size %u: %d", size, rc);
			if ((!ok || write) ? v != before : size < 4 && v >> (8 * size))
				ck_abort_msg("pc_io size %u write %d: value %#x", size, write, v);
			break;
		}
		case 10: case 11: {
			uint64_t gpa = IOAPIC_BASE + (random() % 4 ? (uint64_t)(random() % 2) * 0x10 : rnd() % 0x1100);
			int rc = pc_mmio(&pc, gpa, size, random() & 1, &w);
			if (rc != 0 && rc != -EINVAL && rc != -ENOENT)
				ck_abort_msg("pc_mmio: %d", rc);
			break;
		}
		case 12:
			if (pc_set_irq(&pc, random() % 17, random() & 1) < -EINVAL)
				ck_abort_msg("pc_set_irq");
			break;
		case 13:
			if (pc_next_event(&pc, now) < now)
				ck_abort_msg("timer in the past");
			pc_tick(&pc, now);
			break;
		case 14: {
			/* A level line held high with auto-EOI is a legitimate
			 * endless storm: take a bounded number, as a vCPU would. */
			for (unsigned n = 0; n < 64 && pc_next_delivery(&pc, &d); n++) {
				delivered++;
				if (d.delivery_mode == IOAPIC_DM_EXTINT)
					ck_abort_msg("ExtINT left to the VMM");
				if (d.level)
					pc_eoi(&pc, d.vector);
			}
			uint8_t b[32] = { 0 };
			if (pc_com1_feed(&pc, b, random() % 32) > UART_FIFO_SIZE)
				ck_abort_msg("fed past the FIFO");
			break;
		}
		case 15:
			if (random() % 64 == 0 || pc.stop) {
				stops += pc.stop != PC_RUNNING;
				machine(&pc);
				now = 0;
			}
			break;
		}
		invariants(&pc);
	}
	/* The random walk reached the interrupt glue and the stop requests. */
	ck_assert_uint_gt(delivered, 100);
	ck_assert_uint_gt(stops, 10);
}
END_TEST

Suite *pc_suite(void)
{
	Suite *s = suite_create("pc_machine");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, debug_exit_and_reset);
	tcase_add_test(tc, firmware_state);
	tcase_add_test(tc, pci_host_bridge);
	tcase_add_test(tc, unknown_and_split);
	tcase_add_test(tc, interrupt_glue);
	tcase_add_test(tc, rtc_irq8_through_the_io_apic);
	tcase_add_test(tc, com1_input_irq);
	tcase_add_test(tc, com1_input_follows_the_guests_reads);
	tcase_add_test(tc, pic_inta_at_the_vmms_window);
	tcase_add_test(tc, hostile_random);
	tcase_add_test(tc, every_port);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);
	return s;
}
