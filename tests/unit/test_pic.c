/* guest/vmm/pic8259.c: a typical kernel's init sequence, then priority,
 * cascade, EOI forms, auto-EOI, edge and level (ELCR) inputs, spurious
 * vectors, poll mode, all read back through the ports a driver uses. */
#include "guest/vmm/pic8259.h"
#include "tests/unit/unit.h"

/* Linux's init_8259A(): ICW1 edge + ICW4, vectors 0x20/0x28, cascade on
 * IRQ 2, 8086 mode; then everything masked but the cascade. */
static void linux_init(struct pic_pair *p, uint8_t icw4)
{
	pic_init(p);
	pic_write(p, 0x21, 0xff);
	pic_write(p, 0xa1, 0xff);
	pic_write(p, 0x20, 0x11);
	pic_write(p, 0x21, 0x20);
	pic_write(p, 0x21, 0x04);
	pic_write(p, 0x21, icw4);
	pic_write(p, 0xa0, 0x11);
	pic_write(p, 0xa1, 0x28);
	pic_write(p, 0xa1, 0x02);
	pic_write(p, 0xa1, icw4);
	pic_write(p, 0x21, 0xfb);
	pic_write(p, 0xa1, 0xff);
}

static uint8_t irr(struct pic_pair *p, uint16_t cmd)
{
	pic_write(p, cmd, 0x0a);
	return pic_read(p, cmd);
}

static uint8_t isr(struct pic_pair *p, uint16_t cmd)
{
	pic_write(p, cmd, 0x0b);
	return pic_read(p, cmd);
}

START_TEST(init_and_one_irq)
{
	struct pic_pair p;

	linux_init(&p, 0x01);
	ck_assert_uint_eq(pic_read(&p, 0x21), 0xfb);
	ck_assert_uint_eq(pic_read(&p, 0xa1), 0xff);
	pic_set_irq(&p, 1, true);
	ck_assert(!pic_output(&p));                 /* masked */
	ck_assert_uint_eq(irr(&p, 0x20), 0x02);
	pic_write(&p, 0x21, 0xf9);
	ck_assert(pic_output(&p));
	ck_assert_int_eq(pic_ack(&p), 0x21);
	ck_assert(!pic_output(&p));
	ck_assert_uint_eq(irr(&p, 0x20), 0x00);
	ck_assert_uint_eq(isr(&p, 0x20), 0x02);
	/* Still high, edge-triggered: no second request. */
	pic_set_irq(&p, 1, true);
	pic_write(&p, 0x20, 0x20);                  /* non-specific EOI */
	ck_assert_uint_eq(isr(&p, 0x20), 0x00);
	ck_assert(!pic_output(&p));
	pic_set_irq(&p, 1, false);
	pic_set_irq(&p, 1, true);
	ck_assert(pic_output(&p));
}
END_TEST

START_TEST(cascade_and_priority)
{
	struct pic_pair p;

	linux_init(&p, 0x01);
	pic_write(&p, 0x21, 0x00);
	pic_write(&p, 0xa1, 0x00);
	pic_set_irq(&p, 12, true);
	pic_set_irq(&p, 3, true);
	pic_set_irq(&p, 1, true);
	ck_assert_int_eq(pic_ack(&p), 0x21);        /* 1 before 2 (the cascade) before 3 */
	ck_assert(!pic_output(&p));                 /* 2 and 3 rank below 1 in service */
	pic_write(&p, 0x20, 0x20);
	ck_assert_int_eq(pic_ack(&p), 0x2c);
	ck_assert_uint_eq(isr(&p, 0x20), 0x04);
	ck_assert_uint_eq(isr(&p, 0xa0), 0x10);
	ck_assert(!pic_output(&p));
	pic_write(&p, 0xa0, 0x20);
	pic_write(&p, 0x20, 0x20);                  /* EOIs IRQ 2, the highest in service */
	ck_assert_uint_eq(isr(&p, 0x20), 0x00);
	ck_assert_uint_eq(isr(&p, 0xa0), 0x00);
	ck_assert_int_eq(pic_ack(&p), 0x23);
	/* A higher-priority IRQ preempts one in service; a lower one waits. */
	pic_set_irq(&p, 5, true);
	ck_assert(!pic_output(&p));
	pic_set_irq(&p, 0, true);
	ck_assert(pic_output(&p));
	ck_assert_int_eq(pic_ack(&p), 0x20);
	pic_write(&p, 0x20, 0x60);
	pic_write(&p, 0x20, 0x63);
	ck_assert_int_eq(pic_ack(&p), 0x25);
}
END_TEST

START_TEST(spurious_and_auto_eoi)
{
	struct pic_pair p;

	linux_init(&p, 0x03);                       /* auto-EOI */
	ck_assert_int_eq(pic_ack(&p), 0x27);        /* nothing pending: IRQ 7 */
	pic_write(&p, 0x21, 0x00);
	pic_write(&p, 0xa1, 0x00);
	pic_set_irq(&p, 4, true);
	ck_assert_int_eq(pic_ack(&p), 0x24);
	ck_assert_uint_eq(isr(&p, 0x20), 0);
	/* The slave's request vanished between INTR and INTA: IRQ 15. */
	pic_set_irq(&p, 9, true);
	ck_assert(pic_output(&p));
	pic_write(&p, 0xa1, 0xff);
	ck_assert_int_eq(pic_ack(&p), 0x2f);
}
END_TEST

START_TEST(level_via_elcr)
{
	struct pic_pair p;

	linux_init(&p, 0x01);
	pic_write(&p, 0xa1, 0x00);
	pic_write(&p, 0x4d1, 0xff);
	ck_assert_uint_eq(pic_read(&p, 0x4d1), 0xde); /* IRQ 8 and 13 stay edge */
	pic_write(&p, 0x4d0, 0xff);
	ck_assert_uint_eq(pic_read(&p, 0x4d0), 0xf8);
	pic_set_irq(&p, 10, true);
	ck_assert_int_eq(pic_ack(&p), 0x2a);
	pic_write(&p, 0xa0, 0x20);
	pic_write(&p, 0x20, 0x20);
	ck_assert(pic_output(&p));                  /* still high: asks again */
	ck_assert_int_eq(pic_ack(&p), 0x2a);
	pic_set_irq(&p, 10, false);
	pic_write(&p, 0xa0, 0x20);
	pic_write(&p, 0x20, 0x20);
	ck_assert(!pic_output(&p));
	ck_assert_uint_eq(irr(&p, 0xa0), 0);
}
END_TEST

START_TEST(rotate_and_poll)
{
	struct pic_pair p;

	linux_init(&p, 0x01);
	pic_write(&p, 0x21, 0x00);
	pic_set_irq(&p, 3, true);
	pic_set_irq(&p, 6, true);
	pic_write(&p, 0x20, 0xc5);                  /* set priority: IRQ 5 lowest, 6 highest */
	ck_assert_int_eq(pic_ack(&p), 0x26);
	pic_write(&p, 0x20, 0xa0);                  /* rotate on non-specific EOI: 6 lowest */
	ck_assert_int_eq(pic_ack(&p), 0x23);
	pic_write(&p, 0x20, 0x20);
	/* Poll: the read is the acknowledge. */
	pic_set_irq(&p, 4, true);
	pic_write(&p, 0x20, 0x0c);
	ck_assert_uint_eq(pic_read(&p, 0x20), 0x84);
	ck_assert_uint_eq(isr(&p, 0x20), 0x10);
	pic_write(&p, 0x20, 0x0c);
	ck_assert_uint_eq(pic_read(&p, 0x20), 0x00);
	/* ICW1 with LTIM is refused (counted) and the PIC still initialises. */
	pic_write(&p, 0x20, 0x19);
	ck_assert_uint_eq(p.refused, 1);
	ck_assert_uint_eq(pic_read(&p, 0x21), 0x00);
	ck_assert_uint_eq(pic_read(&p, 0x22), 0xff);
}
END_TEST

Suite *pic_suite(void)
{
	Suite *s = suite_create("pic8259");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, init_and_one_irq);
	tcase_add_test(tc, cascade_and_priority);
	tcase_add_test(tc, spurious_and_auto_eoi);
	tcase_add_test(tc, level_via_elcr);
	tcase_add_test(tc, rotate_and_poll);
	suite_add_tcase(s, tc);
	return s;
}
