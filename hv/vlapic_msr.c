/* Guest x2APIC MSRs and IPIs between a guest's vCPUs (hv/vlapic_msr.h).
 * A vCPU's vlapic is touched only by its own run (no lock); another vCPU
 * sending it an IPI sets a bit in its apic_posted map, atomically, which
 * vlapic_sync merges before its next entry (a posted-interrupt
 * descriptor, in software). A vCPU running elsewhere sees the IPI at its
 * next exit (its slice bounds the wait); a halted one polls for it. */
#include <sealvisor/errno.h>
#include "hv/clock.h"
#include "hv/events.h"
#include "hv/nmi.h"
#include "hv/vlapic_msr.h"
#include "hv/vlapic_xapic.h"
#include "hv/partition.h"
#include "hv/vcpu_mp.h"

#define LEN_RDMSR_WRMSR 2

bool vlapic_msr_is_apic(uint32_t msr)
{
	return (msr >= X2APIC_MSR_BASE && msr <= X2APIC_MSR_END) || msr == MSR_TSC_DEADLINE ||
	       msr == MSR_APIC_BASE;
}

/* The x2APIC MSRs exist only in x2APIC mode (SDM 11.12.1: #GP otherwise). */
static bool x2apic_msr_absent(struct vcpu *v, uint32_t msr)
{
	return msr >= X2APIC_MSR_BASE && msr <= X2APIC_MSR_END &&
	       vlapic_mode(&v->lapic) != VLAPIC_X2APIC;
}

int vlapic_msr_read(struct vcpu *v, uint32_t msr, uint64_t *val)
{
	if (!vlapic_msr_is_apic(msr))
		return -ENOENT;
	if (x2apic_msr_absent(v, msr))
		return -EINVAL;
	if (msr == MSR_TSC_DEADLINE) {
		*val = v->lapic.tsc_deadline;
		return 0;
	}
	if (msr == MSR_APIC_BASE) {
		*val = v->lapic.base;
		return 0;
	}
	return vlapic_read(&v->lapic, msr - X2APIC_MSR_BASE, clock_tsc(), val);
}

void vlapic_post(struct vcpu *to, uint8_t vector)
{
	__atomic_fetch_or(&to->apic_posted[vector / 64], 1UL << (vector % 64), __ATOMIC_SEQ_CST);
	events_kick_vm(to->vm);
}

void vlapic_post_level(struct vcpu *to, uint8_t vector)
{
	__atomic_fetch_or(&to->apic_posted_level[vector / 64], 1UL << (vector % 64),
			  __ATOMIC_SEQ_CST);
	events_kick_vm(to->vm);
}

int vlapic_eoi_exit(struct vcpu *v)
{
	return v->vm->is_control ? -1 : vlapic_take_eoi_exit(&v->lapic);
}

/* Whether an IPI's destination field names this vCPU's APIC: in x2APIC
 * mode by vlapic_dest_match (32-bit ids, cluster logical), in xAPIC mode
 * by vlapic_xapic_match (8-bit ids, flat or cluster logical per DFR). */
static bool wanted(struct vcpu *to, const struct vlapic_ipi *ipi, bool xapic)
{
	if (xapic)
		return vlapic_xapic_match(&to->lapic, (uint8_t)ipi->dest, ipi->logical);
	return vlapic_dest_match(&to->lapic, ipi->dest, ipi->logical);
}

/* The vCPUs an IPI is for, as a bit map by vCPU id (= APIC id): an id
 * with no vCPU receives nothing, as on hardware. */
static uint32_t targets(struct vcpu *from, const struct vlapic_ipi *ipi, bool xapic)
{
	uint32_t set = 0;

	if (ipi->shorthand == IPI_SELF)
		return 1u << from->id;
	for (unsigned i = 0; i < SV_MAX_VCPUS; i++) {
		struct vcpu *to = &from->vm->vcpus[i];
		bool named = ipi->shorthand == IPI_DEST ? wanted(to, ipi, xapic)
			   : ipi->shorthand == IPI_ALL || to != from;
		if (to->created && named)
			set |= 1u << i;
	}
	return set;
}

/* Lowest priority: one of them, the one with the lowest TPR priority
 * class, ties to the lowest id (SDM 11.6.2.4 leaves the choice to the
 * platform). Another vCPU's TPR is read as it is now; it may change at
 * once, as on hardware, where the choice is a snapshot too. */
static uint32_t lowest_priority(struct vm *vm, uint32_t set)
{
	uint32_t best = 0, best_class = 0x100;

	for (unsigned i = 0; i < SV_MAX_VCPUS; i++) {
		uint32_t class = __atomic_load_n(&vm->vcpus[i].lapic.tpr, __ATOMIC_RELAXED) & 0xf0;
		if ((set & 1u << i) && class < best_class) {
			best = 1u << i;
			best_class = class;
		}
	}
	return best;
}

static void deliver(struct vcpu *from, const struct vlapic_ipi *ipi, uint32_t set)
{
	for (unsigned i = 0; i < SV_MAX_VCPUS; i++) {
		struct vcpu *to = &from->vm->vcpus[i];
		if (!(set & 1u << i))
			continue;
		if (ipi->mode == IPI_NMI) {
			/* The vector and the receiver's APIC state do not
			 * matter (a software-disabled APIC still takes NMIs,
			 * SDM 11.4.7.2): raised at the vCPU (hv/nmi.c), the
			 * sender's own at its next entry, another's at once. */
			vcpu_raise_nmi(to);
			if (to != from)
				events_kick_vm(to->vm);
		} else if (ipi->mode == IPI_INIT)
			vcpu_mp_post_init(to);
		else if (ipi->mode == IPI_SIPI)
			vcpu_mp_post_sipi(to, ipi->vector);
		else if (to == from)
			vlapic_accept(&from->lapic, ipi->vector, false);
		else
			vlapic_post(to, ipi->vector);
	}
}

int vlapic_route_ipi(struct vcpu *from, const struct vlapic_ipi *ipi, bool xapic)
{
	uint32_t set = targets(from, ipi, xapic);

	switch (ipi->mode) {
	case IPI_FIXED:
		break;
	case IPI_LOWEST:
		set = lowest_priority(from->vm, set);
		break;
	case IPI_INIT:
	case IPI_SIPI:
		/* Level de-assert: ignored by every CPU since the Pentium 4.
		 * Self and all-including-self are not valid for INIT and
		 * SIPI (SDM table 11-4): dropped. An INIT the sender sends
		 * itself by its id resets it, as on hardware. */
		if (ipi->init_deassert || ipi->shorthand == IPI_SELF || ipi->shorthand == IPI_ALL)
			return 0;
		break;
	case IPI_NMI:
		break;
	default:
		return -EOPNOTSUPP;    /* vlapic_write refuses the other modes */
	}
	deliver(from, ipi, set);
	return 0;
}

int vlapic_msr_write(struct vcpu *v, uint32_t msr, uint64_t *val)
{
	struct vlapic_ipi ipi;

	if (!vlapic_msr_is_apic(msr))
		return -ENOENT;
	if (x2apic_msr_absent(v, msr))
		return -EINVAL;
	if (msr == MSR_TSC_DEADLINE)
		return vlapic_write_deadline(&v->lapic, *val);
	if (msr == MSR_APIC_BASE)
		return vlapic_set_base(&v->lapic, *val);
	int err = vlapic_write(&v->lapic, msr - X2APIC_MSR_BASE, *val, clock_tsc(), &ipi);
	if (err || !ipi.valid)
		return err;
	return vlapic_route_ipi(v, &ipi, false);
}

bool vlapic_msr_exit(struct vcpu *v, bool write)
{
	struct guest_regs *r = &v->regs;
	uint32_t msr = (uint32_t)r->rcx;
	uint64_t val = (r->rdx << 32) | (uint32_t)r->rax;
	int err;

	if (v->vm->is_control || !vlapic_msr_is_apic(msr))
		return false;
	err = write ? vlapic_msr_write(v, msr, &val) : vlapic_msr_read(v, msr, &val);
	if (err) {
		virt_inject_gp(v);
		return true;
	}
	if (!write) {
		r->rax = (uint32_t)val;
		r->rdx = val >> 32;
	}
	virt->skip_instruction(v, LEN_RDMSR_WRMSR);
	return true;
}

static void merge(struct vcpu *v, uint64_t *posted, bool level)
{
	for (unsigned w = 0; w < 4; w++) {
		uint64_t bits = __atomic_exchange_n(&posted[w], 0, __ATOMIC_SEQ_CST);
		while (bits) {
			unsigned b = (unsigned)__builtin_ctzl(bits);
			bits &= bits - 1;
			vlapic_accept(&v->lapic, (uint8_t)(w * 64 + b), level);
		}
	}
}

void vlapic_sync(struct vcpu *v, uint64_t now)
{
	merge(v, v->apic_posted, false);
	merge(v, v->apic_posted_level, true);
	vlapic_timer_tick(&v->lapic, now);
}

/* With RFLAGS.IF clear too: an NMI IPI can still wake it (HLT with IF=0
 * is how a CPU waits for an NMI). */
bool vlapic_can_wake(struct vcpu *v)
{
	return v->lapic.svr & SVR_ENABLED;
}

uint64_t vlapic_entry_deadline(const struct vcpu *v, uint64_t slice_end)
{
	const struct vlapic *l = &v->lapic;

	if (v->vm->is_control || (l->lvt[1] & LVT_MASKED))
		return slice_end;
	uint64_t next = vlapic_timer_next(l);
	return next < slice_end ? next : slice_end;
}
