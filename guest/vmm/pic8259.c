/* The 8259A pair (guest/vmm/pic8259.h), after the data sheet and QEMU's
 * hw/intc/i8259.c: same priority resolution, same cascade. */
#include "guest/vmm/pic8259.h"
#include "lib/string.h"

static void reset_one(struct pic8259 *s)
{
	/* The ICW1 reset: ELCR survives (it is a chipset register, not the
	 * 8259's), pending edges are forgotten. */
	s->last_irr = 0;
	s->irr &= s->elcr;
	s->imr = s->isr = 0;
	s->priority_add = s->irq_base = s->init_state = 0;
	s->init4 = s->single = s->auto_eoi = s->rotate_on_auto_eoi = false;
	s->special_fully_nested = s->read_isr = s->poll = s->special_mask = false;
}

void pic_init(struct pic_pair *p)
{
	memset(p, 0, sizeof(*p));
	/* IRQ 0, 1, 2 (master) and 8, 13 (slave) are always edge: PIIX's ELCR
	 * masks, as QEMU's. */
	p->pic[0].elcr_mask = 0xf8;
	p->pic[1].elcr_mask = 0xde;
}

/* The rank of the highest-priority bit in mask, 0 = highest; 8 if none. */
static unsigned priority(const struct pic8259 *s, uint8_t mask)
{
	if (!mask)
		return 8;
	unsigned pr = 0;
	while (!(mask & (1u << ((pr + s->priority_add) & 7))))
		pr++;
	return pr;
}

/* The IRQ this PIC would raise INTR for, or -1. */
static int pending_irq(const struct pic8259 *s, bool master)
{
	unsigned pr = priority(s, s->irr & ~s->imr);
	if (pr == 8)
		return -1;
	uint8_t in_service = s->isr;
	if (s->special_mask)
		in_service &= ~s->imr;
	/* In special fully nested mode the slave may interrupt while one of its
	 * own IRQs is in service: the master ignores its cascade bit. */
	if (s->special_fully_nested && master)
		in_service &= ~(1u << 2);
	if (pr < priority(s, in_service))
		return (int)((pr + s->priority_add) & 7);
	return -1;
}

static void set_line(struct pic8259 *s, unsigned irq, bool level)
{
	uint8_t m = (uint8_t)(1u << irq);

	if (s->elcr & m) {
		if (level)
			s->irr |= m;
		else
			s->irr &= ~m;
	} else if (level && !(s->last_irr & m)) {
		s->irr |= m;
	}
	if (level)
		s->last_irr |= m;
	else
		s->last_irr &= ~m;
}

/* The slave's INTR is the master's input 2. Called after every change. */
static void cascade(struct pic_pair *p)
{
	set_line(&p->pic[0], 2, pending_irq(&p->pic[1], false) >= 0);
}

void pic_set_irq(struct pic_pair *p, unsigned irq, bool level)
{
	if (irq >= 16)
		return;
	set_line(&p->pic[irq >> 3], irq & 7, level);
	cascade(p);
}

bool pic_output(const struct pic_pair *p)
{
	return pending_irq(&p->pic[0], true) >= 0;
}

static void intack(struct pic8259 *s, unsigned irq)
{
	if (s->auto_eoi) {
		if (s->rotate_on_auto_eoi)
			s->priority_add = (uint8_t)((irq + 1) & 7);
	} else {
		s->isr |= (uint8_t)(1u << irq);
	}
	/* A level-triggered request stays in IRR while its line is high. */
	if (!(s->elcr & (1u << irq)))
		s->irr &= (uint8_t)~(1u << irq);
}

int pic_ack(struct pic_pair *p)
{
	struct pic8259 *m = &p->pic[0], *sl = &p->pic[1];
	int irq = pending_irq(m, true), vec;

	if (irq < 0) {
		vec = m->irq_base + 7;
	} else {
		intack(m, (unsigned)irq);
		if (irq == 2) {
			int irq2 = pending_irq(sl, false);
			if (irq2 >= 0)
				intack(sl, (unsigned)irq2);
			else
				irq2 = 7;
			vec = sl->irq_base + irq2;
		} else {
			vec = m->irq_base + irq;
		}
	}
	cascade(p);
	return vec;
}

static void eoi(struct pic8259 *s, unsigned irq, bool rotate)
{
	s->isr &= (uint8_t)~(1u << irq);
	if (rotate)
		s->priority_add = (uint8_t)((irq + 1) & 7);
}

static void write_ocw2(struct pic8259 *s, uint8_t val)
{
	unsigned cmd = val >> 5, pr;

	switch (cmd) {
	case 0: case 4:   /* clear / set rotate in auto-EOI */
		s->rotate_on_auto_eoi = cmd == 4;
		break;
	case 1: case 5:   /* non-specific EOI (5: and rotate) */
		pr = priority(s, s->isr);
		if (pr != 8)
			eoi(s, (pr + s->priority_add) & 7, cmd == 5);
		break;
	case 3: case 7:   /* specific EOI (7: and rotate) */
		eoi(s, val & 7, cmd == 7);
		break;
	case 6:           /* set priority: IRQ val&7 becomes the lowest */
		s->priority_add = (uint8_t)((val + 1) & 7);
		break;
	default:          /* 2: no operation */
		break;
	}
}

static void write_cmd(struct pic_pair *p, struct pic8259 *s, uint8_t val)
{
	if (val & 0x10) {                 /* ICW1 */
		reset_one(s);
		s->init_state = 1;
		s->init4 = val & 1;
		s->single = val & 2;
		if (val & 0x08)
			p->refused++;
	} else if (val & 0x08) {          /* OCW3 */
		if (val & 0x04)
			s->poll = true;
		if (val & 0x02)
			s->read_isr = val & 1;
		if (val & 0x40)
			s->special_mask = (val >> 5) & 1;
	} else {
		write_ocw2(s, val);
	}
}

static void write_data(struct pic8259 *s, uint8_t val)
{
	switch (s->init_state) {
	case 0:                           /* OCW1 */
		s->imr = val;
		break;
	case 1:                           /* ICW2 */
		s->irq_base = val & 0xf8;
		s->init_state = s->single ? (s->init4 ? 3 : 0) : 2;
		break;
	case 2:                           /* ICW3 */
		s->init_state = s->init4 ? 3 : 0;
		break;
	default:                          /* ICW4 */
		s->special_fully_nested = (val >> 4) & 1;
		s->auto_eoi = (val >> 1) & 1;
		s->init_state = 0;
		break;
	}
}

void pic_write(struct pic_pair *p, uint16_t port, uint8_t val)
{
	switch (port) {
	case 0x20: case 0xa0:
		write_cmd(p, &p->pic[port == 0xa0], val);
		break;
	case 0x21: case 0xa1:
		write_data(&p->pic[port == 0xa1], val);
		break;
	case 0x4d0: case 0x4d1: {
		struct pic8259 *s = &p->pic[port & 1];
		s->elcr = val & s->elcr_mask;
		break;
	}
	default:
		return;
	}
	cascade(p);
}

/* OCW3 poll: the read is an INTA; 0x80 | irq, or 0 when nothing pends. */
static uint8_t poll_read(struct pic_pair *p, struct pic8259 *s)
{
	int irq = pending_irq(s, s == &p->pic[0]);

	s->poll = false;
	if (irq < 0)
		return 0;
	intack(s, (unsigned)irq);
	cascade(p);
	return (uint8_t)(0x80 | irq);
}

uint8_t pic_read(struct pic_pair *p, uint16_t port)
{
	struct pic8259 *s;

	switch (port) {
	case 0x20: case 0xa0:
		s = &p->pic[port == 0xa0];
		if (s->poll)
			return poll_read(p, s);
		return s->read_isr ? s->isr : s->irr;
	case 0x21: case 0xa1:
		s = &p->pic[port == 0xa1];
		if (s->poll)
			return poll_read(p, s);
		return s->imr;
	case 0x4d0: case 0x4d1:
		return p->pic[port & 1].elcr;
	default:
		return 0xff;
	}
}
