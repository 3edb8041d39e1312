/* The xAPIC register view (hv/vlapic_xapic.h). Every access is turned
 * into the x2APIC model's terms with the bits xAPIC would ignore
 * dropped first, so that the model's #GP (-EINVAL) answers never reach
 * an xAPIC guest except as "write ignored". */
#include <sealvisor/errno.h>
#include "hv/vlapic_xapic.h"

#define REG_DFR 0x0e
#define REG_ICR_HIGH 0x31
#define XAPIC_BROADCAST 0xffu
/* ICR low: vector, delivery mode, destination mode, level, trigger,
 * shorthand (bit 12, delivery status, reads 0: delivery is immediate). */
#define ICR_LOW_WRITABLE 0x000ccfffu

int vlapic_xapic_read(struct vlapic *l, uint32_t offset, uint64_t now, uint32_t *val)
{
	uint32_t reg = offset >> 4;
	uint64_t v;

	if (offset & 0xf || offset >= XAPIC_PAGE_SIZE)
		return -EINVAL;
	switch (reg) {
	case VLAPIC_ID: *val = l->id << 24; return 0;
	case VLAPIC_LDR: *val = __atomic_load_n(&l->ldr, __ATOMIC_RELAXED); return 0;
	case REG_DFR: *val = __atomic_load_n(&l->dfr, __ATOMIC_RELAXED) | 0x0fffffffu; return 0;
	case VLAPIC_ICR: *val = (uint32_t)l->icr & ICR_LOW_WRITABLE; return 0;
	case REG_ICR_HIGH: *val = (uint32_t)(l->icr >> 32); return 0;
	case VLAPIC_SELF_IPI: *val = 0; return 0;     /* x2APIC only */
	}
	*val = vlapic_read(l, reg, now, &v) ? 0 : (uint32_t)v;
	return 0;
}

static int write_icr_low(struct vlapic *l, uint32_t val, uint64_t now, struct vlapic_ipi *ipi)
{
	uint64_t icr = (l->icr & ~0xffffffffUL) | (val & ICR_LOW_WRITABLE);

	/* Delivery modes the model refuses (lowest priority, SMI, ExtINT)
	 * send nothing. */
	if (vlapic_write(l, VLAPIC_ICR, icr, now, ipi)) {
		ipi->valid = false;
		return 0;
	}
	ipi->dest = (uint32_t)(icr >> 56);
	return 0;
}

int vlapic_xapic_write(struct vlapic *l, uint32_t offset, uint32_t val, uint64_t now,
		       struct vlapic_ipi *ipi)
{
	uint32_t reg = offset >> 4, lvt = vlapic_lvt_mask(reg);

	ipi->valid = false;
	if (offset & 0xf || offset >= XAPIC_PAGE_SIZE)
		return -EINVAL;
	if (lvt) {
		if (reg == VLAPIC_LVT_TIMER && (val & (3u << 17)) == (3u << 17))
			val &= ~(1u << 18);          /* mode 3 is reserved: one-shot or periodic */
		vlapic_write(l, reg, val & lvt, now, ipi);
		return 0;
	}
	switch (reg) {
	case VLAPIC_LDR:
		__atomic_store_n(&l->ldr, val & 0xff000000u, __ATOMIC_RELAXED);
		return 0;
	case REG_DFR:
		__atomic_store_n(&l->dfr, val | 0x0fffffffu, __ATOMIC_RELAXED);
		return 0;
	case REG_ICR_HIGH:
		l->icr = (l->icr & 0xffffffffUL) | (uint64_t)(val & 0xff000000u) << 32;
		return 0;
	case VLAPIC_ICR:
		return write_icr_low(l, val, now, ipi);
	case VLAPIC_TPR: val &= 0xff; break;
	case VLAPIC_SVR: val &= 0x1ff; break;
	case VLAPIC_EOI: val = 0; break;
	case VLAPIC_ESR: val = 0; break;
	case VLAPIC_TIMER_DCR: val &= 0xb; break;
	case VLAPIC_TIMER_ICR: break;
	default:
		return 0;                            /* read-only or reserved: ignored */
	}
	vlapic_write(l, reg, val, now, ipi);
	return 0;
}

bool vlapic_xapic_match(const struct vlapic *l, uint8_t dest, bool logical)
{
	if (dest == XAPIC_BROADCAST)
		return true;
	if (!logical)
		return dest == (uint8_t)__atomic_load_n(&l->id, __ATOMIC_RELAXED);
	uint8_t ldr = (uint8_t)(__atomic_load_n(&l->ldr, __ATOMIC_RELAXED) >> 24);
	bool flat = __atomic_load_n(&l->dfr, __ATOMIC_RELAXED) >> 28 == 0xf;
	if (flat)
		return (ldr & dest) != 0;
	return (ldr >> 4) == (dest >> 4) && (ldr & dest & 0xf) != 0;   /* cluster */
}
