/* NMI pending state for guest vCPUs (hv/nmi.h). Two counters, like KVM's
 * nmi_queued/nmi_pending: raisers add to nmi_queued atomically (with a
 * cap, so a hostile VMM or guest can raise as many as it likes), the
 * vCPU's own run folds it into nmi_pending under the CPU's rule: one NMI
 * can wait while another is being handled, and while none is, a second
 * waits behind the first. Whether the guest is in its handler (NMI
 * blocking, ended by its IRET) is the backend's to track. */
#include "hv/nmi.h"

void vcpu_raise_nmi(struct vcpu *v)
{
	uint32_t old = __atomic_load_n(&v->nmi_queued, __ATOMIC_SEQ_CST);

	do {
		if (old >= NMI_QUEUE_MAX)
			return;
	} while (!__atomic_compare_exchange_n(&v->nmi_queued, &old, old + 1, false,
					      __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST));
}

/* Called before every entry: nothing but a load when no NMI is about. */
unsigned vcpu_pending_nmis(struct vcpu *v)
{
	unsigned n = v->nmi_pending;

	if (__atomic_load_n(&v->nmi_queued, __ATOMIC_SEQ_CST))
		n += __atomic_exchange_n(&v->nmi_queued, 0, __ATOMIC_SEQ_CST);
	if (!n)
		return 0;
	unsigned limit = virt->nmi_blocked(v) ? 1 : NMI_QUEUE_MAX;
	v->nmi_pending = (uint8_t)(n < limit ? n : limit);
	return v->nmi_pending;
}

bool nmi_before_entry(struct vcpu *v)
{
	bool injected = false;

	if (!vcpu_pending_nmis(v))
		return false;
	if (virt->nmi_allowed(v)) {
		virt->inject_nmi(v);
		v->nmi_pending--;
		injected = true;
	}
	/* The next one waits for this one's IRET (or the shadow, or the
	 * event in the slot): the window says when. */
	if (v->nmi_pending)
		virt->request_nmi_window(v);
	return injected;
}

bool nmi_wakes_from_hlt(struct vcpu *v)
{
	return vcpu_pending_nmis(v) && virt->nmi_allowed(v);
}
