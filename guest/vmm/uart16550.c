/* The 16550A (guest/vmm/uart16550.h). Register semantics follow QEMU's
 * hw/char/serial.c, so a driver probing this UART sees what it sees
 * under QEMU; differences are said where they are. */
#include "guest/vmm/uart16550.h"
#include "lib/string.h"

void uart_init(struct uart *u, uart_tx_fn *tx, void *ctx)
{
	memset(u, 0, sizeof(*u));
	u->mcr = UART_MCR_OUT2;
	u->lsr = UART_LSR_THRE | UART_LSR_TEMT;
	u->msr = UART_MSR_DCD | UART_MSR_DSR | UART_MSR_CTS;
	u->dll = 12;
	u->tx = tx;
	u->tx_ctx = ctx;
}

unsigned uart_rx_capacity(const struct uart *u)
{
	return (u->fcr & UART_FCR_ENABLE) ? UART_FIFO_SIZE : 1u;
}

uint8_t uart_iir_id(const struct uart *u)
{
	if ((u->ier & UART_IER_RLSI) && (u->lsr & UART_LSR_OE))
		return UART_IIR_RLSI;
	/* QEMU reports "character timeout" (0x0c) when the FIFO sits below its
	 * trigger level; we report plain "data available" at once: drivers
	 * treat both the same (read while LSR.DR). */
	if ((u->ier & UART_IER_RDI) && u->rx_count)
		return UART_IIR_RDI;
	if ((u->ier & UART_IER_THRI) && u->thr_ipending)
		return UART_IIR_THRI;
	if ((u->ier & UART_IER_MSI) && (u->msr & 0x0f))
		return UART_IIR_MSI;
	return UART_IIR_NO_INT;
}

bool uart_irq_level(const struct uart *u)
{
	return uart_iir_id(u) != UART_IIR_NO_INT && (u->mcr & UART_MCR_OUT2);
}

static void rx_clear(struct uart *u)
{
	u->rx_head = 0;
	u->rx_count = 0;
	u->lsr &= (uint8_t)~UART_LSR_DR;
}

/* One byte into the FIFO; when it is full, an overrun (only loopback can
 * do that: uart_feed never offers more than fits): a full 16-byte FIFO
 * drops the new byte, while with FIFOs off the new byte overwrites RBR
 * (16550A data sheet; QEMU's serial_receive1; tests/mb/mb-uart.c). */
static void rx_push(struct uart *u, uint8_t b)
{
	if (u->rx_count >= uart_rx_capacity(u)) {
		u->lsr |= UART_LSR_OE;
		if (!(u->fcr & UART_FCR_ENABLE))
			u->rx[u->rx_head] = b;
		return;
	}
	u->rx[(u->rx_head + u->rx_count) % UART_FIFO_SIZE] = b;
	u->rx_count++;
	u->lsr |= UART_LSR_DR;
}

static uint8_t rx_pop(struct uart *u)
{
	if (!u->rx_count)
		return 0;
	uint8_t b = u->rx[u->rx_head];
	u->rx_head = (u->rx_head + 1) % UART_FIFO_SIZE;
	if (!--u->rx_count)
		u->lsr &= (uint8_t)~UART_LSR_DR;
	return b;
}

unsigned uart_feed(struct uart *u, const uint8_t *bytes, unsigned n)
{
	unsigned done = 0;

	while (done < n && u->rx_count < uart_rx_capacity(u))
		rx_push(u, bytes[done++]);
	return done;
}

/* In loopback the modem outputs drive the modem inputs: DTR->DSR,
 * RTS->CTS, OUT1->RI, OUT2->DCD; a change sets the delta bits (RI's only
 * on its falling edge, TERI). Outside loopback the inputs are QEMU's
 * fixed DCD|DSR|CTS. */
static void update_msr(struct uart *u)
{
	uint8_t in = UART_MSR_DCD | UART_MSR_DSR | UART_MSR_CTS;

	if (u->mcr & UART_MCR_LOOP) {
		in = 0;
		if (u->mcr & UART_MCR_DTR)
			in |= UART_MSR_DSR;
		if (u->mcr & UART_MCR_RTS)
			in |= UART_MSR_CTS;
		if (u->mcr & UART_MCR_OUT1)
			in |= UART_MSR_RI;
		if (u->mcr & UART_MCR_OUT2)
			in |= UART_MSR_DCD;
	}
	uint8_t old = u->msr & 0xf0, delta = u->msr & 0x0f, changed = old ^ in;

	if (changed & UART_MSR_CTS)
		delta |= UART_MSR_DCTS;
	if (changed & UART_MSR_DSR)
		delta |= UART_MSR_DDSR;
	if ((old & UART_MSR_RI) && !(in & UART_MSR_RI))
		delta |= UART_MSR_TERI;
	if (changed & UART_MSR_DCD)
		delta |= UART_MSR_DDCD;
	u->msr = in | delta;
}

static void transmit(struct uart *u, uint8_t b)
{
	if (u->mcr & UART_MCR_LOOP) {
		rx_push(u, b);
	} else {
		u->tx_bytes++;
		if (u->tx)
			u->tx(u->tx_ctx, b);
	}
	/* Sent synchronously: the holding and shift registers are empty again. */
	u->lsr |= UART_LSR_THRE | UART_LSR_TEMT;
	u->thr_ipending = true;
}

static void write_fcr(struct uart *u, uint8_t val)
{
	/* Turning the FIFOs on or off empties them (16550A data sheet; QEMU). */
	if ((val ^ u->fcr) & UART_FCR_ENABLE)
		val |= UART_FCR_CLEAR_RX | UART_FCR_CLEAR_TX;
	if (val & UART_FCR_CLEAR_RX)
		rx_clear(u);
	u->fcr = val & 0xc9;   /* enable, DMA mode, trigger level: what stays */
}

void uart_write(struct uart *u, unsigned reg, uint8_t val)
{
	bool dlab = u->lcr & UART_LCR_DLAB;

	switch (reg) {
	case UART_RBR_THR:
		if (dlab)
			u->dll = val;
		else
			transmit(u, val);
		break;
	case UART_IER:
		if (dlab) {
			u->dlm = val;
			break;
		}
		/* Turning THRI on while THR is empty raises the interrupt at
		 * once (drivers start transmission that way; QEMU and Bochs
		 * resample on the change only); turning it off forgets it. */
		if ((val ^ u->ier) & UART_IER_THRI)
			u->thr_ipending = (val & UART_IER_THRI) && (u->lsr & UART_LSR_THRE);
		u->ier = val & 0x0f;
		break;
	case UART_IIR_FCR:
		write_fcr(u, val);
		break;
	case UART_LCR:
		u->lcr = val;
		break;
	case UART_MCR:
		u->mcr = val & 0x1f;
		update_msr(u);
		break;
	case UART_SCR:
		u->scr = val;
		break;
	default:   /* LSR and MSR are read-only */
		break;
	}
}

static uint8_t read_iir(struct uart *u)
{
	uint8_t id = uart_iir_id(u);

	/* Reading IIR while it shows THRE acknowledges that interrupt. */
	if (id == UART_IIR_THRI)
		u->thr_ipending = false;
	return id | ((u->fcr & UART_FCR_ENABLE) ? UART_IIR_FIFO_ENABLED : 0);
}

uint8_t uart_read(struct uart *u, unsigned reg)
{
	bool dlab = u->lcr & UART_LCR_DLAB;
	uint8_t v;

	switch (reg) {
	case UART_RBR_THR:
		return dlab ? u->dll : rx_pop(u);
	case UART_IER:
		return dlab ? u->dlm : u->ier;
	case UART_IIR_FCR:
		return read_iir(u);
	case UART_LCR:
		return u->lcr;
	case UART_MCR:
		return u->mcr;
	case UART_LSR:
		v = u->lsr;
		u->lsr &= (uint8_t)~UART_LSR_OE;   /* error bits clear on read */
		return v;
	case UART_MSR:
		v = u->msr;
		u->msr &= 0xf0;                    /* delta bits clear on read */
		return v;
	case UART_SCR:
		return u->scr;
	default:
		return 0xff;
	}
}
