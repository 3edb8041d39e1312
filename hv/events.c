/* Interrupt injection for guest vCPUs (hv/events.h). The VMM's queue is
 * a 256-bit map like a local APIC's IRR, without priorities beyond
 * "highest vector first": no TPR, no ISR, no EOI. A guest that enables
 * its x2APIC (hv/vlapic_msr.c) has a second source, its APIC's IRR under
 * its priority rules: the higher of the two vectors goes first. The
 * queue's words are updated atomically: VCPU_INTERRUPT runs under
 * hv_lock, the vCPU's own run takes vectors without it. */
#include <sealvisor/errno.h>
#include "hv/events.h"
#include "hv/nmi.h"
#include "hv/shootdown.h"
#include "hv/vlapic.h"

int vcpu_raise_interrupt(struct vcpu *v, unsigned vector)
{
	if (vector < EVENTS_FIRST_VECTOR || vector > 255)
		return -EINVAL;
	__atomic_fetch_or(&v->irq_pending[vector / 64], 1UL << (vector % 64), __ATOMIC_SEQ_CST);
	return 0;
}

void events_kick_vm(struct vm *vm)
{
	for (unsigned cpu = 0; cpu < HV_MAX_CPUS; cpu++)
		if (cpu != arch_cpu_id() &&
		    __atomic_load_n(&cpu_state[cpu].in_guest, __ATOMIC_SEQ_CST) == vm)
			virt->kick_cpu(cpu);
}

int vcpu_pending_interrupt(const struct vcpu *v)
{
	int queued = vcpu_queued_interrupt(v), apic = vlapic_pending(&v->lapic);

	return apic > queued ? apic : queued;
}

int vcpu_queued_interrupt(const struct vcpu *v)
{
	for (int w = 3; w >= 0; w--) {
		uint64_t bits = __atomic_load_n(&v->irq_pending[w], __ATOMIC_SEQ_CST);
		if (bits)
			return w * 64 + 63 - __builtin_clzl(bits);
	}
	return -1;
}

/* The APIC's vector wins a tie: it is the one that needs an EOI. */
static void take(struct vcpu *v, int vector)
{
	if (vlapic_pending(&v->lapic) == vector) {
		vlapic_ack(&v->lapic, (uint8_t)vector);
		return;
	}
	__atomic_fetch_and(&v->irq_pending[vector / 64], ~(1UL << (vector % 64)), __ATOMIC_SEQ_CST);
}

bool events_before_entry(struct vcpu *v, bool vmm_wants_window)
{
	nmi_before_entry(v);   /* first: an injected NMI takes the slot */
	int vector = vcpu_pending_interrupt(v);
	bool ready = virt->interrupt_allowed(v);

	if (vector >= 0 && ready) {
		take(v, vector);
		virt->inject_interrupt(v, (uint8_t)vector);
		vector = vcpu_pending_interrupt(v);
		ready = false;              /* the injection slot is taken */
	} else if (vector < 0 && ready && vmm_wants_window) {
		return true;
	}
	/* The window opens once the guest could take the next one: after
	 * this delivery (its handler runs with IF clear) and its IRET. */
	if (vector >= 0 || vmm_wants_window)
		virt->request_irq_window(v);
	return false;
}

bool events_wake_from_hlt(struct vcpu *v)
{
	return nmi_wakes_from_hlt(v) ||
	       (vcpu_pending_interrupt(v) >= 0 && virt->interrupt_allowed(v));
}
