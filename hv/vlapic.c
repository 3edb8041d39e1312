/* The virtual local APIC model (hv/vlapic.h). Register semantics follow
 * the SDM's x2APIC mode (vol. 3, 11.12): every access is a full 32- or
 * 64-bit MSR, and what xAPIC would ignore raises #GP here (-EINVAL). */
#include <sealvisor/errno.h>
#include "hv/vlapic.h"
#include "lib/string.h"

#define VERSION (0x14u | (VLAPIC_NR_LVT - 1u) << 16)
#define LVT_TIMER_MODE (3u << 17)

/* Writable bits of each LVT (index: lvt_index). */
static const uint32_t lvt_writable[VLAPIC_NR_LVT] = {
	0x107ff,   /* CMCI: vector, delivery mode, mask */
	0x700ff,   /* timer: vector, mask, mode */
	0x107ff,   /* thermal */
	0x107ff,   /* performance counters */
	0x1a7ff,   /* LINT0: vector, mode, polarity, trigger, mask */
	0x1a7ff,   /* LINT1 */
	0x100ff,   /* error: vector, mask */
};

static int lvt_index(uint32_t reg)
{
	if (reg == VLAPIC_LVT_CMCI)
		return 0;
	if (reg >= VLAPIC_LVT_TIMER && reg <= VLAPIC_LVT_ERROR)
		return (int)(reg - VLAPIC_LVT_TIMER) + 1;
	return -1;
}

static void set_bit(uint32_t *map, unsigned v) { map[v / 32] |= 1u << (v % 32); }
static void clear_bit(uint32_t *map, unsigned v) { map[v / 32] &= ~(1u << (v % 32)); }

static int highest(const uint32_t *map)
{
	for (int w = 7; w >= 0; w--)
		if (map[w])
			return w * 32 + 31 - __builtin_clz(map[w]);
	return -1;
}

static void reset(struct vlapic *l, uint64_t base, uint32_t id, uint64_t tsc_per_tick,
		  uint64_t min_period)
{
	memset(l, 0, sizeof(*l));
	l->base = base;
	l->id = id;
	l->svr = 0xff;                       /* software-disabled, as after INIT */
	l->dfr = 0xffffffff;                 /* flat model */
	for (unsigned i = 0; i < VLAPIC_NR_LVT; i++)
		l->lvt[i] = LVT_MASKED;
	/* The BSP's LINT0 in ExtINT, unmasked: the 8259's virtual wire, as
	 * the BIOS leaves it (KVM's and QEMU's APIC reset do the same). */
	if (base & APIC_BASE_BSP)
		l->lvt[LVT_LINT0_INDEX] = LVT_EXTINT;
	l->tsc_per_tick = tsc_per_tick ? tsc_per_tick : 1;
	l->min_period = min_period;
}

void vlapic_init(struct vlapic *l, uint32_t id, uint64_t tsc_per_tick)
{
	reset(l, APIC_BASE_ADDR | APIC_BASE_EN | (id == 0 ? APIC_BASE_BSP : 0), id, tsc_per_tick, 0);
}

bool vlapic_accepts_extint(const struct vlapic *l)
{
	uint32_t lint0 = l->lvt[LVT_LINT0_INDEX];

	return vlapic_mode(l) == VLAPIC_DISABLED ||
	       (!(lint0 & LVT_MASKED) && (lint0 & LVT_DELIVERY_MODE) == LVT_EXTINT);
}

enum vlapic_mode vlapic_mode(const struct vlapic *l)
{
	if (!(l->base & APIC_BASE_EN))
		return VLAPIC_DISABLED;
	return l->base & APIC_BASE_EXTD ? VLAPIC_X2APIC : VLAPIC_XAPIC;
}

int vlapic_set_base(struct vlapic *l, uint64_t val)
{
	uint64_t bsp = l->base & APIC_BASE_BSP;   /* read-only: ignore what is written */
	enum vlapic_mode from = vlapic_mode(l), to;

	val = (val & ~APIC_BASE_BSP) | bsp;
	if ((val & ~(APIC_BASE_BSP | APIC_BASE_EXTD | APIC_BASE_EN)) != APIC_BASE_ADDR)
		return -EINVAL;                   /* reserved bits, or a moved page */
	if ((val & APIC_BASE_EXTD) && !(val & APIC_BASE_EN))
		return -EINVAL;
	to = !(val & APIC_BASE_EN) ? VLAPIC_DISABLED : val & APIC_BASE_EXTD ? VLAPIC_X2APIC
									       : VLAPIC_XAPIC;
	if ((from == VLAPIC_X2APIC && to == VLAPIC_XAPIC) ||
	    (from == VLAPIC_DISABLED && to == VLAPIC_X2APIC))
		return -EINVAL;
	if (to == VLAPIC_DISABLED)
		reset(l, val, l->id, l->tsc_per_tick, l->min_period);
	else
		l->base = val;
	return 0;
}

uint32_t vlapic_lvt_mask(uint32_t reg)
{
	int i = lvt_index(reg);
	return i < 0 ? 0 : lvt_writable[i];
}

/* INIT keeps IA32_APIC_BASE, so the mode too (SDM 11.12.5.1: an x2APIC
 * stays an x2APIC). Field by field through a copy: never a moment with
 * id 0 in l. */
void vlapic_reset(struct vlapic *l)
{
	struct vlapic fresh;

	reset(&fresh, l->base, l->id, l->tsc_per_tick, l->min_period);
	*l = fresh;
}

uint32_t vlapic_ldr(const struct vlapic *l)
{
	uint32_t id = __atomic_load_n(&l->id, __ATOMIC_RELAXED);

	return (id >> 4) << 16 | 1u << (id & 0xf);
}

bool vlapic_dest_match(const struct vlapic *l, uint32_t dest, bool logical)
{
	if (dest == X2APIC_BROADCAST)
		return true;
	if (!logical)
		return dest == __atomic_load_n(&l->id, __ATOMIC_RELAXED);
	uint32_t ldr = vlapic_ldr(l);
	return (dest >> 16) == (ldr >> 16) && (dest & ldr & 0xffff);
}

uint32_t vlapic_ppr(const struct vlapic *l)
{
	int isrv = highest(l->isr);
	uint32_t isr_class = isrv < 0 ? 0 : (uint32_t)isrv & 0xf0;

	return (l->tpr & 0xf0) >= isr_class ? l->tpr & 0xff : isr_class;
}

int vlapic_pending(const struct vlapic *l)
{
	int v = highest(l->irr);

	if (!(l->svr & SVR_ENABLED) || v < 0 || ((uint32_t)v & 0xf0) <= (vlapic_ppr(l) & 0xf0))
		return -1;
	return v;
}

void vlapic_ack(struct vlapic *l, uint8_t vector)
{
	clear_bit(l->irr, vector);
	set_bit(l->isr, vector);
}

static void report_error(struct vlapic *l, uint32_t bit)
{
	uint32_t lvt = l->lvt[6];

	l->esr_pending |= bit;
	if (!(lvt & LVT_MASKED) && (lvt & 0xff) >= 16) {
		set_bit(l->irr, lvt & 0xff);
		clear_bit(l->tmr, lvt & 0xff);
	}
}

void vlapic_accept(struct vlapic *l, uint8_t vector, bool level)
{
	if (vector < 16)
		return report_error(l, ESR_RECV_ILLEGAL);
	set_bit(l->irr, vector);
	if (level)
		set_bit(l->tmr, vector);
	else
		clear_bit(l->tmr, vector);
}

/* ---- timer ---- */

static uint32_t timer_mode(const struct vlapic *l) { return l->lvt[1] & LVT_TIMER_MODE; }

static uint64_t divisor(uint32_t dcr)
{
	uint32_t v = (dcr & 3) | (dcr >> 1 & 4);
	return v == 7 ? 1 : 2u << v;
}

static uint64_t tsc_per_count(const struct vlapic *l)
{
	return divisor(l->timer_dcr) * l->tsc_per_tick;
}

/* TSC cycles between a periodic timer's expiries: its count, but never
 * below the floor (VLAPIC_MIN_PERIOD_US says why). */
static uint64_t timer_period(const struct vlapic *l)
{
	uint64_t p = l->timer_icr * tsc_per_count(l);

	return p < l->min_period ? l->min_period : p;
}

uint32_t vlapic_timer_ccr(const struct vlapic *l, uint64_t now)
{
	if (timer_mode(l) == LVT_TIMER_DEADLINE || !l->timer_armed)
		return 0;
	/* Wrapping arithmetic: after a divider change the start may lie
	 * "before" 0. `now` never goes backwards (the TSC). */
	uint64_t elapsed = (now - l->timer_start) / tsc_per_count(l);
	if (timer_mode(l) == LVT_TIMER_PERIODIC)
		return l->timer_icr - (uint32_t)(elapsed % l->timer_icr);
	return elapsed >= l->timer_icr ? 0 : l->timer_icr - (uint32_t)elapsed;
}

uint64_t vlapic_timer_next(const struct vlapic *l)
{
	if (timer_mode(l) == LVT_TIMER_DEADLINE)
		return l->tsc_deadline ? l->tsc_deadline : UINT64_MAX;
	if (!l->timer_armed)
		return UINT64_MAX;
	if (timer_mode(l) == LVT_TIMER_PERIODIC)
		return l->timer_start + timer_period(l);
	return l->timer_start + l->timer_icr * tsc_per_count(l);
}

bool vlapic_timer_tick(struct vlapic *l, uint64_t now)
{
	uint64_t next = vlapic_timer_next(l);

	if (next > now)
		return false;
	if (!(l->lvt[1] & LVT_MASKED))
		vlapic_accept(l, l->lvt[1] & 0xff, false);
	if (timer_mode(l) == LVT_TIMER_DEADLINE) {
		l->tsc_deadline = 0;
	} else if (timer_mode(l) == LVT_TIMER_PERIODIC) {
		uint64_t period = timer_period(l);
		l->timer_start += period * ((now - l->timer_start) / period);
	} else {
		l->timer_armed = false;
	}
	return true;
}

int vlapic_write_deadline(struct vlapic *l, uint64_t tsc)
{
	if (timer_mode(l) == LVT_TIMER_DEADLINE)
		l->tsc_deadline = tsc;     /* ignored in the other modes */
	return 0;
}

/* ---- registers ---- */

int vlapic_read(struct vlapic *l, uint32_t reg, uint64_t now, uint64_t *val)
{
	int lvt = lvt_index(reg);

	if (lvt >= 0) {
		*val = l->lvt[lvt];
		return 0;
	}
	if (reg >= VLAPIC_ISR0 && reg < VLAPIC_ISR0 + 8) {
		*val = l->isr[reg - VLAPIC_ISR0];
		return 0;
	}
	if (reg >= VLAPIC_TMR0 && reg < VLAPIC_TMR0 + 8) {
		*val = l->tmr[reg - VLAPIC_TMR0];
		return 0;
	}
	if (reg >= VLAPIC_IRR0 && reg < VLAPIC_IRR0 + 8) {
		*val = l->irr[reg - VLAPIC_IRR0];
		return 0;
	}
	switch (reg) {
	case VLAPIC_ID: *val = l->id; return 0;
	case VLAPIC_VERSION: *val = VERSION; return 0;
	case VLAPIC_TPR: *val = l->tpr; return 0;
	case VLAPIC_PPR: *val = vlapic_ppr(l); return 0;
	case VLAPIC_LDR: *val = vlapic_ldr(l); return 0;
	case VLAPIC_SVR: *val = l->svr; return 0;
	case VLAPIC_ESR: *val = l->esr; return 0;
	case VLAPIC_ICR: *val = l->icr; return 0;
	case VLAPIC_TIMER_ICR: *val = l->timer_icr; return 0;
	case VLAPIC_TIMER_CCR: *val = vlapic_timer_ccr(l, now); return 0;
	case VLAPIC_TIMER_DCR: *val = l->timer_dcr; return 0;
	default: return -EINVAL;   /* reserved, or write-only (EOI, SELF IPI) */
	}
}

static int write_lvt(struct vlapic *l, int i, uint64_t val)
{
	if (val & ~(uint64_t)lvt_writable[i] ||
	    (i == 1 && (val & LVT_TIMER_MODE) == LVT_TIMER_MODE))
		return -EINVAL;
	uint32_t v = (uint32_t)val;
	if (!(l->svr & SVR_ENABLED))
		v |= LVT_MASKED;       /* cannot be unmasked while software-disabled */
	if (i == 1 && (v & LVT_TIMER_MODE) != timer_mode(l)) {
		l->timer_armed = false;   /* a mode change stops the timer */
		l->tsc_deadline = 0;
	}
	l->lvt[i] = v;
	return 0;
}

static void write_svr(struct vlapic *l, uint32_t v)
{
	l->svr = v;
	if (!(v & SVR_ENABLED))
		for (unsigned i = 0; i < VLAPIC_NR_LVT; i++)
			l->lvt[i] |= LVT_MASKED;
}

static void write_eoi(struct vlapic *l)
{
	int v = highest(l->isr);

	if (v < 0)
		return;
	clear_bit(l->isr, (unsigned)v);
	/* The TMR bit stays: only the vector's next acceptance changes it
	 * (SDM 11.8.4; QEMU's APIC alike). */
	if (l->tmr[v / 32] & 1u << (v % 32))
		set_bit(l->eoi_exit, (unsigned)v);   /* the I/O APIC's EOI broadcast */
}

int vlapic_take_eoi_exit(struct vlapic *l)
{
	for (unsigned w = 0; w < 8; w++)
		if (l->eoi_exit[w]) {
			unsigned v = w * 32 + (unsigned)__builtin_ctz(l->eoi_exit[w]);
			clear_bit(l->eoi_exit, v);
			return (int)v;
		}
	return -1;
}

/* SMI and ExtINT delivery (and the reserved mode 3) are not modelled: #GP. */
static int write_icr(struct vlapic *l, uint64_t val, struct vlapic_ipi *ipi)
{
	uint8_t mode = val >> 8 & 7, vector = (uint8_t)val;

	if (val & 0x00000000fff33000UL ||
	    (mode != IPI_FIXED && mode != IPI_LOWEST && mode != IPI_NMI && mode != IPI_INIT &&
	     mode != IPI_SIPI))
		return -EINVAL;
	l->icr = val;
	if ((mode == IPI_FIXED || mode == IPI_LOWEST) && vector < 16) {
		report_error(l, ESR_SEND_ILLEGAL);
		return 0;
	}
	*ipi = (struct vlapic_ipi){ .valid = true, .vector = vector, .mode = mode,
				    .shorthand = val >> 18 & 3, .logical = val >> 11 & 1,
				    .init_deassert = mode == IPI_INIT && !(val >> 14 & 1) &&
						     (val >> 15 & 1),
				    .dest = (uint32_t)(val >> 32) };
	return 0;
}

static int write_timer_dcr(struct vlapic *l, uint64_t val, uint64_t now)
{
	if (val & ~0xbUL)
		return -EINVAL;
	/* The count goes on from where it is, at the new rate. */
	uint32_t ccr = vlapic_timer_ccr(l, now);
	l->timer_dcr = (uint32_t)val;
	if (l->timer_armed && timer_mode(l) != LVT_TIMER_DEADLINE)
		l->timer_start = now - (uint64_t)(l->timer_icr - ccr) * tsc_per_count(l);
	return 0;
}

int vlapic_write(struct vlapic *l, uint32_t reg, uint64_t val, uint64_t now,
		 struct vlapic_ipi *ipi)
{
	int lvt = lvt_index(reg);

	ipi->valid = false;
	if (lvt >= 0)
		return write_lvt(l, lvt, val);
	if (reg == VLAPIC_ICR)
		return write_icr(l, val, ipi);
	if (val >> 32)
		return -EINVAL;
	switch (reg) {
	case VLAPIC_TPR:
		if (val & ~0xffUL)
			return -EINVAL;
		__atomic_store_n(&l->tpr, (uint32_t)val, __ATOMIC_RELAXED);   /* routing reads it */
		return 0;
	case VLAPIC_EOI:
		if (val)
			return -EINVAL;
		write_eoi(l);
		return 0;
	case VLAPIC_SVR:
		if (val & ~0x1ffUL)
			return -EINVAL;
		write_svr(l, (uint32_t)val);
		return 0;
	case VLAPIC_ESR:
		if (val)
			return -EINVAL;
		l->esr = l->esr_pending;
		l->esr_pending = 0;
		return 0;
	case VLAPIC_TIMER_ICR:
		if (timer_mode(l) == LVT_TIMER_DEADLINE)
			return 0;              /* ignored in TSC-deadline mode */
		l->timer_icr = (uint32_t)val;
		l->timer_start = now;
		l->timer_armed = val != 0;
		return 0;
	case VLAPIC_TIMER_DCR:
		return write_timer_dcr(l, val, now);
	case VLAPIC_SELF_IPI:
		if (val & ~0xffUL)
			return -EINVAL;
		vlapic_accept(l, (uint8_t)val, false);
		return 0;
	default:
		return -EINVAL;   /* reserved, or read-only (ID, version, PPR, LDR, ISR...) */
	}
}
