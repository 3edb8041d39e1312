/* guest/vmm/uart16550.c: reset values as QEMU's, the register sequences
 * of Linux's 8250 probe (scratch, IER, FIFO, loopback, DLAB), interrupt
 * identification and priority, OUT2 gating, the receive FIFO. */
#include <string.h>
#include "guest/vmm/uart16550.h"
#include "tests/unit/unit.h"

static uint8_t out[64];
static unsigned nout;

static void tx(void *ctx, uint8_t b)
{
	ck_assert_ptr_eq(ctx, out);
	if (nout < sizeof(out))
		out[nout] = b;
	nout++;
}

static void fresh(struct uart *u)
{
	nout = 0;
	uart_init(u, tx, out);
}

START_TEST(reset_values)
{
	struct uart u;

	fresh(&u);
	ck_assert_uint_eq(uart_read(&u, UART_IER), 0);
	ck_assert_uint_eq(uart_read(&u, UART_IIR_FCR), 0x01);
	ck_assert_uint_eq(uart_read(&u, UART_LCR), 0);
	ck_assert_uint_eq(uart_read(&u, UART_MCR), 0x08);
	ck_assert_uint_eq(uart_read(&u, UART_LSR), 0x60);
	ck_assert_uint_eq(uart_read(&u, UART_MSR), 0xb0);
	ck_assert_uint_eq(uart_read(&u, UART_SCR), 0);
	ck_assert_uint_eq(uart_read(&u, 8), 0xff);
	ck_assert(!uart_irq_level(&u));
	uart_write(&u, UART_LCR, 0x80);
	ck_assert_uint_eq(uart_read(&u, 0), 12);   /* divisor 12: 9600 baud */
	ck_assert_uint_eq(uart_read(&u, 1), 0);
}
END_TEST

/* drivers/tty/serial/8250/8250_port.c autoconfig(), in order. */
START_TEST(linux_8250_probe)
{
	struct uart u;

	fresh(&u);
	uart_write(&u, UART_IER, 0);
	ck_assert_uint_eq(uart_read(&u, UART_IER) & 0x0f, 0);
	uart_write(&u, UART_IER, 0x0f);
	ck_assert_uint_eq(uart_read(&u, UART_IER) & 0x0f, 0x0f);
	uart_write(&u, UART_IER, 0);
	uart_write(&u, UART_SCR, 0xa5);
	ck_assert_uint_eq(uart_read(&u, UART_SCR), 0xa5);
	uart_write(&u, UART_SCR, 0x5a);
	ck_assert_uint_eq(uart_read(&u, UART_SCR), 0x5a);
	/* Loopback check: RTS|OUT2 come back as CTS|DCD. */
	uart_write(&u, UART_MCR, UART_MCR_LOOP | 0x0a);
	ck_assert_uint_eq(uart_read(&u, UART_MSR) & 0xf0, 0x90);
	uart_write(&u, UART_MCR, 0x08);
	/* FIFO probe: IIR bits 7-6 = 3 is a 16550A. */
	uart_write(&u, UART_LCR, 0);
	uart_write(&u, UART_IIR_FCR, UART_FCR_ENABLE);
	ck_assert_uint_eq(uart_read(&u, UART_IIR_FCR) >> 6, 3);
	/* Not a 16750: no 64-byte FIFO bit. */
	uart_write(&u, UART_IIR_FCR, UART_FCR_ENABLE | 0x20);
	ck_assert_uint_eq(uart_read(&u, UART_IIR_FCR) & 0xe0, 0xc0);
	/* Not a 16650: with LCR 0xbf register 2 is still the IIR, not a
	 * zero EFR. */
	uart_write(&u, UART_LCR, 0xbf);
	ck_assert_uint_ne(uart_read(&u, UART_IIR_FCR), 0);
	/* DLAB: divisor 1 (115200), then 8N1; the divisor latch is separate
	 * from THR/IER. */
	uart_write(&u, UART_LCR, 0x80);
	uart_write(&u, 0, 0x01);
	uart_write(&u, 1, 0x00);
	ck_assert_uint_eq(uart_read(&u, 0), 1);
	ck_assert_uint_eq(uart_read(&u, 1), 0);
	uart_write(&u, UART_LCR, 0x03);
	ck_assert_uint_eq(uart_read(&u, UART_IER), 0);
	ck_assert_uint_eq(nout, 0);
	uart_write(&u, 0, 'x');
	ck_assert_uint_eq(nout, 1);
	ck_assert_uint_eq(out[0], 'x');
	ck_assert_uint_eq(uart_read(&u, UART_LSR) & 0x60, 0x60);
}
END_TEST

START_TEST(thre_interrupt)
{
	struct uart u;

	fresh(&u);
	uart_write(&u, UART_IER, UART_IER_THRI);
	ck_assert(uart_irq_level(&u));
	ck_assert_uint_eq(uart_read(&u, UART_IIR_FCR), 0x02);
	/* Reading IIR acknowledged it. */
	ck_assert_uint_eq(uart_read(&u, UART_IIR_FCR), 0x01);
	ck_assert(!uart_irq_level(&u));
	uart_write(&u, 0, 'a');
	ck_assert(uart_irq_level(&u));
	/* OUT2 off: the source stays pending but the line is low. */
	uart_write(&u, UART_MCR, 0);
	ck_assert(!uart_irq_level(&u));
	ck_assert_uint_eq(uart_iir_id(&u), UART_IIR_THRI);
	uart_write(&u, UART_MCR, UART_MCR_OUT2);
	ck_assert(uart_irq_level(&u));
	uart_write(&u, UART_IER, 0);
	ck_assert(!uart_irq_level(&u));
	/* Off then on again: pending again (what Windows' driver does). */
	uart_write(&u, UART_IER, UART_IER_THRI);
	ck_assert_uint_eq(uart_read(&u, UART_IIR_FCR), 0x02);
	uart_write(&u, UART_IER, UART_IER_THRI | UART_IER_RDI);   /* no THRI change */
	ck_assert_uint_eq(uart_read(&u, UART_IIR_FCR), 0x01);
}
END_TEST

START_TEST(receive_fifo)
{
	struct uart u;
	const uint8_t in[20] = "abcdefghijklmnopqrs";

	fresh(&u);
	ck_assert_uint_eq(uart_feed(&u, in, 3), 1);   /* FIFOs off: one byte */
	ck_assert_uint_eq(uart_read(&u, UART_LSR), 0x61);
	ck_assert_uint_eq(uart_read(&u, 0), 'a');
	ck_assert_uint_eq(uart_read(&u, UART_LSR), 0x60);
	ck_assert_uint_eq(uart_read(&u, 0), 0);       /* empty reads 0 */
	uart_write(&u, UART_IIR_FCR, UART_FCR_ENABLE);
	ck_assert_uint_eq(uart_feed(&u, in, 20), 16);
	ck_assert_uint_eq(uart_feed(&u, in, 20), 0);
	uart_write(&u, UART_IER, UART_IER_RDI | UART_IER_THRI);
	/* Data available outranks THRE. */
	ck_assert_uint_eq(uart_read(&u, UART_IIR_FCR), 0xc4);
	ck_assert(uart_irq_level(&u));
	for (unsigned i = 0; i < 16; i++)
		ck_assert_uint_eq(uart_read(&u, 0), in[i]);
	ck_assert_uint_eq(uart_read(&u, UART_IIR_FCR), 0xc2);
	ck_assert_uint_eq(uart_read(&u, UART_IIR_FCR), 0xc1);
	/* FCR clear-receive empties the FIFO. */
	ck_assert_uint_eq(uart_feed(&u, in, 4), 4);
	uart_write(&u, UART_IIR_FCR, UART_FCR_ENABLE | UART_FCR_CLEAR_RX);
	ck_assert_uint_eq(uart_read(&u, UART_LSR) & UART_LSR_DR, 0);
	/* Wraparound of the ring. */
	for (unsigned r = 0; r < 5; r++) {
		ck_assert_uint_eq(uart_feed(&u, in + r, 7), 7);
		for (unsigned i = 0; i < 7; i++)
			ck_assert_uint_eq(uart_read(&u, 0), in[r + i]);
	}
}
END_TEST

START_TEST(loopback_and_overrun)
{
	struct uart u;

	fresh(&u);
	uart_write(&u, UART_MCR, UART_MCR_LOOP | UART_MCR_OUT2);
	uart_write(&u, UART_IER, UART_IER_RLSI | UART_IER_RDI);
	uart_write(&u, 0, 0x55);
	ck_assert_uint_eq(nout, 0);                   /* not transmitted */
	ck_assert_uint_eq(uart_read(&u, UART_IIR_FCR), 0x04);
	uart_write(&u, 0, 0x66);                      /* 1-byte FIFO: overrun */
	ck_assert_uint_eq(uart_read(&u, UART_IIR_FCR), 0x06);
	ck_assert_uint_eq(uart_read(&u, UART_LSR), 0x63);
	ck_assert_uint_eq(uart_read(&u, UART_LSR), 0x61);   /* OE cleared by the read */
	ck_assert_uint_eq(uart_read(&u, 0), 0x66);          /* FIFOs off: the newer byte */
	/* Modem status deltas: DTR toggled in loopback is DDSR. */
	uart_read(&u, UART_MSR);
	uart_write(&u, UART_MCR, UART_MCR_LOOP | UART_MCR_OUT2 | UART_MCR_DTR);
	ck_assert_uint_eq(uart_read(&u, UART_MSR), 0xa2);
	ck_assert_uint_eq(uart_read(&u, UART_MSR), 0xa0);
	uart_write(&u, UART_IER, UART_IER_MSI);
	uart_write(&u, UART_MCR, UART_MCR_LOOP | UART_MCR_OUT2 | UART_MCR_OUT1);
	ck_assert_uint_eq(uart_read(&u, UART_IIR_FCR), 0x00);   /* modem status */
	uart_write(&u, UART_MCR, UART_MCR_OUT2);
	ck_assert_uint_eq(uart_read(&u, UART_MSR) & 0xf0, 0xb0);
}
END_TEST

Suite *uart_suite(void)
{
	Suite *s = suite_create("uart16550");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, reset_values);
	tcase_add_test(tc, linux_8250_probe);
	tcase_add_test(tc, thre_interrupt);
	tcase_add_test(tc, receive_fifo);
	tcase_add_test(tc, loopback_and_overrun);
	suite_add_tcase(s, tc);
	return s;
}
