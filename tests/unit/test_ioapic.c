/* guest/vmm/ioapic.c: registers through IOREGSEL/IOWIN as a driver reads
 * them, read-only bits, edge and level delivery with Remote IRR and the
 * EOI broadcast, masking. */
#include <sealvisor/errno.h>
#include "guest/vmm/ioapic.h"
#include "tests/unit/unit.h"

static uint32_t rd(struct ioapic *io, uint32_t reg)
{
	ioapic_mmio_write(io, 0x00, 4, reg);
	return (uint32_t)ioapic_mmio_read(io, 0x10, 4);
}

static void wr(struct ioapic *io, uint32_t reg, uint32_t val)
{
	ioapic_mmio_write(io, 0x00, 4, reg);
	ioapic_mmio_write(io, 0x10, 4, val);
}

START_TEST(registers)
{
	struct ioapic io;

	ioapic_init(&io, 0);
	ck_assert_uint_eq(rd(&io, 1), 0x00170011);
	ck_assert_uint_eq(rd(&io, 0), 0);
	wr(&io, 0, 0x0f000000);
	ck_assert_uint_eq(rd(&io, 0), 0x0f000000);
	ck_assert_uint_eq(rd(&io, 2), 0x0f000000);
	wr(&io, 1, 0);
	ck_assert_uint_eq(rd(&io, 1), 0x00170011);
	for (unsigned i = 0; i < IOAPIC_PINS; i++) {
		ck_assert_uint_eq(rd(&io, 0x10 + 2 * i), 0x00010000);
		ck_assert_uint_eq(rd(&io, 0x11 + 2 * i), 0);
	}
	ck_assert_uint_eq(rd(&io, 0x10 + 2 * IOAPIC_PINS), 0);
	/* Delivery status and Remote IRR (bits 12, 14) and 17-31 are read-only. */
	wr(&io, 0x10, 0xffffffff);
	ck_assert_uint_eq(rd(&io, 0x10), 0x0001afff);
	wr(&io, 0x11, 0xffffffff);
	ck_assert_uint_eq(rd(&io, 0x11), 0xff000000);
	ck_assert_uint_eq(ioapic_mmio_read(&io, 0x00, 4), 0x11);
	ck_assert_uint_eq(ioapic_mmio_read(&io, 0x20, 4), 0);
}
END_TEST

START_TEST(edge_delivery)
{
	struct ioapic io;
	struct ioapic_msg m;

	ioapic_init(&io, 0);
	ck_assert_int_eq(ioapic_set_irq(&io, 24, true), -EINVAL);
	ioapic_set_irq(&io, 2, true);
	ioapic_set_irq(&io, 2, false);
	ck_assert_int_eq(ioapic_next(&io, &m), 0);   /* masked: lost */
	wr(&io, 0x15, 0x01000000);                   /* GSI 2 -> APIC 1 */
	wr(&io, 0x14, 0x30);
	ck_assert_int_eq(ioapic_next(&io, &m), 0);   /* the masked edge stayed lost */
	ioapic_set_irq(&io, 2, true);
	ioapic_set_irq(&io, 2, true);                /* no new edge */
	ck_assert_int_eq(ioapic_next(&io, &m), 1);
	ck_assert_uint_eq(m.vector, 0x30);
	ck_assert_uint_eq(m.dest, 1);
	ck_assert_uint_eq(m.gsi, 2);
	ck_assert_uint_eq(m.delivery_mode, IOAPIC_DM_FIXED);
	ck_assert(!m.logical && !m.level);
	ck_assert_int_eq(ioapic_next(&io, &m), 0);
	ioapic_set_irq(&io, 2, false);
	ioapic_set_irq(&io, 2, true);
	wr(&io, 0x14, 0x0931 | IOAPIC_RTE_DEST_LOGICAL); /* lowest priority, logical */
	ck_assert_int_eq(ioapic_next(&io, &m), 1);
	ck_assert_uint_eq(m.vector, 0x31);           /* computed when taken */
	ck_assert_uint_eq(m.delivery_mode, IOAPIC_DM_LOWEST);
	ck_assert(m.logical);
}
END_TEST

START_TEST(level_remote_irr)
{
	struct ioapic io;
	struct ioapic_msg m;

	ioapic_init(&io, 0);
	wr(&io, 0x10 + 2 * 9, 0x41 | IOAPIC_RTE_LEVEL);
	ioapic_set_irq(&io, 9, true);
	ck_assert_int_eq(ioapic_next(&io, &m), 1);
	ck_assert(m.level);
	ck_assert_uint_eq(rd(&io, 0x10 + 2 * 9), 0xc041);   /* Remote IRR set */
	ioapic_set_irq(&io, 9, true);
	ck_assert_int_eq(ioapic_next(&io, &m), 0);
	ioapic_eoi(&io, 0x42);                              /* another vector */
	ck_assert_int_eq(ioapic_next(&io, &m), 0);
	ioapic_eoi(&io, 0x41);                              /* still asserted: again */
	ck_assert_int_eq(ioapic_next(&io, &m), 1);
	ioapic_set_irq(&io, 9, false);
	ioapic_eoi(&io, 0x41);
	ck_assert_int_eq(ioapic_next(&io, &m), 0);
	ck_assert_uint_eq(rd(&io, 0x10 + 2 * 9), 0x8041);
	/* Masked while asserted, then unmasked: sent on the unmask. */
	wr(&io, 0x10 + 2 * 9, 0x41 | IOAPIC_RTE_LEVEL | IOAPIC_RTE_MASKED);
	ioapic_set_irq(&io, 9, true);
	ck_assert_int_eq(ioapic_next(&io, &m), 0);
	wr(&io, 0x10 + 2 * 9, 0x41 | IOAPIC_RTE_LEVEL);
	ck_assert_int_eq(ioapic_next(&io, &m), 1);
	/* Masking a queued level message withdraws it and its Remote IRR. */
	ioapic_eoi(&io, 0x41);
	wr(&io, 0x10 + 2 * 9, 0x41 | IOAPIC_RTE_LEVEL | IOAPIC_RTE_MASKED);
	ck_assert_int_eq(ioapic_next(&io, &m), 0);
	ck_assert_uint_eq(rd(&io, 0x10 + 2 * 9), 0x18041);
}
END_TEST

Suite *ioapic_suite(void)
{
	Suite *s = suite_create("ioapic");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, registers);
	tcase_add_test(tc, edge_delivery);
	tcase_add_test(tc, level_remote_irr);
	suite_add_tcase(s, tc);
	return s;
}
