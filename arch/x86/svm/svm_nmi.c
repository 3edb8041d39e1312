/*
 * Guest NMI blocking on SVM. Without vNMI (QEMU's TCG has none) the VMCB
 * holds no "blocked by NMI" bit for the guest: the hypervisor keeps it
 * (v->nmi_track), as KVM's svm.c does. Injecting an NMI sets it and turns
 * on the IRET intercept. That intercept fires BEFORE the IRET executes,
 * so it only says "the next instruction ends the handler": NMIs stay
 * blocked until an exit with RIP past it (awaiting_iret). If an NMI is
 * waiting then, the window single-steps the IRET (RFLAGS.TF: the trap
 * comes after it even though it reloads RFLAGS) and takes the #DB as its
 * own, leaving DR6 as it was; a guest that was single-stepping that IRET
 * itself gets its #DB. The interrupt shadow blocks NMIs too (APM 15.21.4,
 * as KVM treats it); an NMI that waits for the shadow or for the
 * injection slot waits for the virtual-interrupt window, else for the
 * next exit (the time slice bounds that).
 */
#include "arch/x86/svm/svm_nmi.h"
#include "arch/x86/svm/vmcb.h"
#include "arch/x86/svm/vmcb_clean.h"
#include "hv/partition.h"

#define EVENTINJ_NMI (X86_NMI_VECTOR | (uint64_t)EVENT_TYPE_NMI << 8 | EVENT_VALID)

bool svm_nmi_blocked(struct vcpu *v)
{
	return v->nmi_track.masked;
}

bool svm_nmi_allowed(struct vcpu *v)
{
	return !v->nmi_track.masked && !(*vmcb64(v->arch, VMCB_INT_STATE) & 1) &&
	       !(*vmcb64(v->arch, VMCB_EVENTINJ) & EVENT_VALID);
}

void svm_inject_nmi(struct vcpu *v)
{
	vmcb_put64(v, VMCB_EVENTINJ, EVENTINJ_NMI);
	v->nmi_track = (struct vcpu_nmi_track){ .masked = true };
	vmcb_put32(v, VMCB_INTERCEPT_VEC3, *vmcb32(v->arch, VMCB_INTERCEPT_VEC3) | INTERCEPT_IRET);
}

/* The virtual interrupt that svm.c's interrupt window uses: taken (and
 * intercepted) once IF is set, no shadow, nothing injected. */
static void vintr_window(struct vcpu *v)
{
	vmcb_put64(v, VMCB_VINTR, *vmcb64(v->arch, VMCB_VINTR) | V_IRQ | V_INTR_PRIO_MAX | V_IGN_TPR);
	vmcb_put32(v, VMCB_INTERCEPT_VEC3, *vmcb32(v->arch, VMCB_INTERCEPT_VEC3) | INTERCEPT_VINTR);
}

void svm_request_nmi_window(struct vcpu *v)
{
	struct vcpu_nmi_track *t = &v->nmi_track;
	void *vmcb = v->arch;
	uint64_t *rflags = vmcb64(vmcb, VMCB_RFLAGS);

	if (!t->masked) {
		vintr_window(v);
		return;
	}
	if (!t->awaiting_iret || t->stepping)
		return;                 /* the IRET intercept, or the step, will say */
	t->stepping = true;
	t->guest_tf = *rflags & RFLAGS_TF;
	t->dr6 = *vmcb64(vmcb, VMCB_DR6);
	*rflags |= RFLAGS_TF;
}

/* Our single-step trap after the IRET: DR6 back as the guest had it. */
static bool own_step(struct vcpu *v, const struct vm_exit *e)
{
	struct vcpu_nmi_track *t = &v->nmi_track;

	if (!t->stepping || e->reason != VMEXIT_EXCEPTION || e->vector != X86_EXC_DB ||
	    e->skip || t->guest_tf)
		return false;
	vmcb_put64(v, VMCB_DR6, t->dr6);
	return true;
}

void svm_nmi_exit(struct vcpu *v, struct vm_exit *e)
{
	struct vcpu_nmi_track *t = &v->nmi_track;
	void *vmcb = v->arch;
	uint64_t rip = *vmcb64(vmcb, VMCB_RIP);

	if ((uint32_t)e->raw == SVM_EXIT_IRET) {
		vmcb_put32(v, VMCB_INTERCEPT_VEC3, *vmcb32(vmcb, VMCB_INTERCEPT_VEC3) & ~INTERCEPT_IRET);
		t->awaiting_iret = true;
		t->iret_rip = rip;
		e->reason = VMEXIT_NONE;
		e->name = "IRET";
		return;
	}
	if (!t->awaiting_iret || rip == t->iret_rip)
		return;
	/* Past the IRET: the handler is over. */
	if (own_step(v, e))
		e->reason = VMEXIT_NONE;
	*t = (struct vcpu_nmi_track){ 0 };
}

/* Our single-step, if any, goes with the old RFLAGS: the new state has
 * its own. */
void svm_nmi_reset(struct vcpu *v)
{
	v->nmi_track = (struct vcpu_nmi_track){ 0 };
	vmcb_put32(v, VMCB_INTERCEPT_VEC3, *vmcb32(v->arch, VMCB_INTERCEPT_VEC3) & ~INTERCEPT_IRET);
}
