/*
 * Two cascaded 8259A PICs as on every PC (QEMU hw/intc/i8259.c): master at
 * 0x20/0x21, slave at 0xa0/0xa1 on master input 2, edge/level control
 * (ELCR) at 0x4d0/0x4d1. Inputs are lines the caller sets
 * (pic_set_irq); the output is the INTR line (pic_output) and the INTA
 * cycle is pic_ack, which returns the vector the CPU would read.
 *
 * Supported: ICW1-ICW4 (ICW1.LTIM level mode is refused: ELCR is how PCs
 * choose level triggering; single mode; ICW3 is accepted and ignored:
 * the cascade is fixed on IRQ 2), OCW1, every OCW2 command including the
 * rotations, OCW3 (IRR/ISR select, poll, special mask), auto-EOI and
 * rotate-in-auto-EOI, special fully nested mode, spurious IRQ 7/15.
 */
#ifndef SEALVISOR_VMM_PIC8259_H
#define SEALVISOR_VMM_PIC8259_H

#include <stdbool.h>
#include <stdint.h>

struct pic8259 {
	uint8_t irr, isr, imr, elcr, elcr_mask;
	uint8_t last_irr;          /* input line levels, for edge detection */
	uint8_t priority_add;      /* the IRQ with lowest priority is priority_add - 1 */
	uint8_t irq_base;          /* ICW2 & 0xf8 */
	uint8_t init_state;        /* 0 ready, 1-3: waiting for ICW2-ICW4 */
	bool init4, single, auto_eoi, rotate_on_auto_eoi, special_fully_nested;
	bool read_isr, poll, special_mask;
};

struct pic_pair {
	struct pic8259 pic[2];     /* [0] master, [1] slave */
	uint64_t refused;          /* ICW1 with LTIM: counted, ignored */
};

void pic_init(struct pic_pair *p);
/* irq 0-15: the device line's level (edge inputs latch a rising edge). */
void pic_set_irq(struct pic_pair *p, unsigned irq, bool level);
/* The INTR line to the CPU. */
bool pic_output(const struct pic_pair *p);
/* The INTA cycle: the vector, with the IRQ moved from IRR to ISR (unless
 * auto-EOI). Without a pending IRQ the answer is the spurious IRQ 7 of
 * the master (or 15 of the slave when the slave's request vanished). */
int pic_ack(struct pic_pair *p);
/* port: 0x20, 0x21, 0xa0, 0xa1, 0x4d0, 0x4d1; others read 0xff. */
uint8_t pic_read(struct pic_pair *p, uint16_t port);
void pic_write(struct pic_pair *p, uint16_t port, uint8_t val);

#endif
