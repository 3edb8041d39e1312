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
#include "hv/partition.h"

#define LEN_RDMSR_WRMSR 2

bool vlapic_msr_is_apic(uint32_t msr)
{
	return (msr >= X2APIC_MSR_BASE && msr <= X2APIC_MSR_END) || msr == MSR_TSC_DEADLINE;
}

int vlapic_msr_read(struct vcpu *v, uint32_t msr, uint64_t *val)
{
	if (!vlapic_msr_is_apic(msr))
		return -ENOENT;
	if (msr == MSR_TSC_DEADLINE) {
		*val = v->lapic.tsc_deadline;
		return 0;
	}
	return vlapic_read(&v->lapic, msr - X2APIC_MSR_BASE, clock_tsc(), val);
}

static void post(struct vcpu *to, uint8_t vector)
{
	__atomic_fetch_or(&to->apic_posted[vector / 64], 1UL << (vector % 64), __ATOMIC_SEQ_CST);
	events_kick_vm(to->vm);
}

/* One vCPU's share of an IPI. An NMI IPI ignores the vector and the
 * receiver's APIC state (a software-disabled APIC still takes NMIs, SDM
 * 11.4.7.2): it is raised at the vCPU (hv/nmi.c), the sender's own at
 * its next entry, another's at once, with a kick. */
static void deliver(struct vcpu *from, struct vcpu *to, const struct vlapic_ipi *ipi)
{
	switch (ipi->mode) {
	case IPI_NMI:
		vcpu_raise_nmi(to);
		if (to != from)
			events_kick_vm(to->vm);
		return;
	default:   /* IPI_FIXED */
		if (to == from)
			vlapic_accept(&from->lapic, ipi->vector, false);
		else
			post(to, ipi->vector);
	}
}

/* Fixed and NMI IPIs to the VM's own vCPUs, by x2APIC id (= vCPU id); an
 * id with no vCPU receives nothing, as on hardware, except 0xffffffff:
 * x2APIC's broadcast id, every vCPU, the sender included (SDM 11.12.9). */
#define X2APIC_BROADCAST 0xffffffffu

static int route(struct vcpu *from, const struct vlapic_ipi *ipi)
{
	struct vm *vm = from->vm;

	if ((ipi->mode != IPI_FIXED && ipi->mode != IPI_NMI) || ipi->logical)
		return -EOPNOTSUPP;
	if (ipi->shorthand == IPI_SELF) {
		deliver(from, from, ipi);
		return 0;
	}
	for (unsigned i = 0; i < SV_MAX_VCPUS; i++) {
		struct vcpu *to = &vm->vcpus[i];
		bool wanted = ipi->shorthand == IPI_DEST ? ipi->dest == i || ipi->dest == X2APIC_BROADCAST
			    : ipi->shorthand == IPI_ALL || to != from;
		if (to->created && wanted)
			deliver(from, to, ipi);
	}
	return 0;
}

int vlapic_msr_write(struct vcpu *v, uint32_t msr, uint64_t *val)
{
	struct vlapic_ipi ipi;

	if (!vlapic_msr_is_apic(msr))
		return -ENOENT;
	if (msr == MSR_TSC_DEADLINE)
		return vlapic_write_deadline(&v->lapic, *val);
	int err = vlapic_write(&v->lapic, msr - X2APIC_MSR_BASE, *val, clock_tsc(), &ipi);
	if (err || !ipi.valid)
		return err;
	return route(v, &ipi);
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

void vlapic_sync(struct vcpu *v, uint64_t now)
{
	for (unsigned w = 0; w < 4; w++) {
		uint64_t bits = __atomic_exchange_n(&v->apic_posted[w], 0, __ATOMIC_SEQ_CST);
		while (bits) {
			unsigned b = (unsigned)__builtin_ctzl(bits);
			bits &= bits - 1;
			vlapic_accept(&v->lapic, (uint8_t)(w * 64 + b), false);
		}
	}
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
