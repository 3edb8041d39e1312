/*
 * A 16550A UART as QEMU's pc machine presents COM1 (hw/char/serial.c):
 * registers 0-7 relative to the base port, the divisor latch behind
 * LCR.DLAB, a 16-byte receive FIFO the VMM feeds, transmission that
 * completes at once (the VMM hands each byte to its output callback), and
 * the interrupt the caller reads with uart_irq_level(). Pure state, no
 * time: nothing here depends on the baud rate.
 */
#ifndef SEALVISOR_VMM_UART16550_H
#define SEALVISOR_VMM_UART16550_H

#include <stdbool.h>
#include <stdint.h>

#define UART_FIFO_SIZE 16u

/* Register numbers (offsets from the base port). */
enum { UART_RBR_THR = 0, UART_IER = 1, UART_IIR_FCR = 2, UART_LCR = 3, UART_MCR = 4,
       UART_LSR = 5, UART_MSR = 6, UART_SCR = 7 };

#define UART_IER_RDI 0x01u
#define UART_IER_THRI 0x02u
#define UART_IER_RLSI 0x04u
#define UART_IER_MSI 0x08u

#define UART_IIR_NO_INT 0x01u
#define UART_IIR_MSI 0x00u
#define UART_IIR_THRI 0x02u
#define UART_IIR_RDI 0x04u
#define UART_IIR_RLSI 0x06u
#define UART_IIR_FIFO_ENABLED 0xc0u

#define UART_FCR_ENABLE 0x01u
#define UART_FCR_CLEAR_RX 0x02u
#define UART_FCR_CLEAR_TX 0x04u

#define UART_LCR_DLAB 0x80u

#define UART_MCR_DTR 0x01u
#define UART_MCR_RTS 0x02u
#define UART_MCR_OUT1 0x04u
#define UART_MCR_OUT2 0x08u
#define UART_MCR_LOOP 0x10u

#define UART_LSR_DR 0x01u
#define UART_LSR_OE 0x02u
#define UART_LSR_THRE 0x20u
#define UART_LSR_TEMT 0x40u

#define UART_MSR_DCTS 0x01u
#define UART_MSR_DDSR 0x02u
#define UART_MSR_TERI 0x04u
#define UART_MSR_DDCD 0x08u
#define UART_MSR_CTS 0x10u
#define UART_MSR_DSR 0x20u
#define UART_MSR_RI 0x40u
#define UART_MSR_DCD 0x80u

typedef void uart_tx_fn(void *ctx, uint8_t byte);

struct uart {
	uint8_t ier, lcr, mcr, lsr, msr, scr, fcr, dll, dlm;
	bool thr_ipending;             /* the THRE interrupt, until IIR shows it or THR is written */
	uint8_t rx[UART_FIFO_SIZE];
	unsigned rx_head, rx_count;    /* invariant: rx_count <= uart_rx_capacity() */
	uart_tx_fn *tx;                /* may be NULL: output dropped */
	void *tx_ctx;
	uint64_t tx_bytes;             /* bytes transmitted (loopback ones excluded) */
};

/* The state after reset, as QEMU's: MCR.OUT2 set, divisor 12 (9600 baud),
 * LSR THRE|TEMT, MSR DCD|DSR|CTS. */
void uart_init(struct uart *u, uart_tx_fn *tx, void *ctx);
/* reg 0-7; other values read 0xff / are ignored. */
uint8_t uart_read(struct uart *u, unsigned reg);
void uart_write(struct uart *u, unsigned reg, uint8_t val);
/* Queues up to n received bytes; returns how many fit (the FIFO holds 16,
 * or 1 with FIFOs off): the VMM keeps the rest for later, as QEMU's
 * character backends do, so input is never lost to an overrun. */
unsigned uart_feed(struct uart *u, const uint8_t *bytes, unsigned n);
unsigned uart_rx_capacity(const struct uart *u);
/* The IIR's interrupt identification (bits 0-3) for the highest-priority
 * pending source, UART_IIR_NO_INT if none. */
uint8_t uart_iir_id(const struct uart *u);
/* The line to the interrupt controller: a source pending and MCR.OUT2 set
 * (on PCs OUT2 gates the UART's interrupt onto the ISA bus; QEMU does not
 * gate it, Linux sets OUT2 whenever it wants interrupts). Level. */
bool uart_irq_level(const struct uart *u);

#endif
