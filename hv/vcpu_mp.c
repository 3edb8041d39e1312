/*
 * INIT and SIPI between a guest's vCPUs (hv/vcpu_mp.h); the MP state
 * hypercalls are in hv/vcpu_regs.c, with the other launch-state calls. The sender only posts (mp_posted, atomically) and
 * kicks; the target's run applies it, because its registers, its APIC
 * and its control block belong to that run alone (as for fixed IPIs,
 * hv/vlapic_msr.c).
 *
 * INIT puts a vCPU in the architectural INIT state (vcpu_state_init),
 * resets its APIC except the id, drops pending IPIs and NMIs (NMI
 * blocking ends with the new state), clears DR0-3/DR6 and any halt; its
 * x87/SSE/AVX state and MSRs stay, as the SDM says of INIT (vol. 3,
 * 10.1.1: "the x87 FPU state and MSRs are left unchanged"). vCPU 0 is
 * the BSP: after INIT it runs from the reset vector; every other vCPU
 * waits for a SIPI, which starts it at vector << 12 in real mode.
 */
#include <sealvisor/errno.h>
#include "hv/events.h"
#include "hv/log.h"
#include "hv/vcpu_mp.h"
#include "hv/vcpu_state.h"
#include "hv/partition.h"

#define POSTED_INIT (1u << 31)
#define POSTED_SIPI (1u << 30)
#define POSTED_VECTOR 0xffu

void vcpu_mp_post_init(struct vcpu *to)
{
	__atomic_store_n(&to->mp_posted, POSTED_INIT, __ATOMIC_SEQ_CST);
	events_kick_vm(to->vm);
}

void vcpu_mp_post_sipi(struct vcpu *to, uint8_t vector)
{
	uint32_t old = __atomic_load_n(&to->mp_posted, __ATOMIC_RELAXED), new;

	do
		new = (old & POSTED_INIT) | POSTED_SIPI | vector;
	while (!__atomic_compare_exchange_n(&to->mp_posted, &old, new, false, __ATOMIC_SEQ_CST,
					    __ATOMIC_RELAXED));
	events_kick_vm(to->vm);
}

/* The state is one vcpu_state_check passes (host-tested): a failure
 * here is a CPU that cannot run real mode (VMX without unrestricted
 * guest). That vCPU can never run again, like one whose entry failed. */
static bool load(struct vcpu *v, const struct sv_regs *r, const struct sv_sregs *s)
{
	int err = virt->vcpu_set_state(v, r, s);

	if (err) {
		log_warn("VM %u vCPU %u: cannot load the INIT/SIPI state (%d): it will not run "
			 "again\n", v->vm->id, v->id, err);
		v->entry_failed = true;
	}
	return !err;
}

static void apply_init(struct vcpu *v)
{
	struct sv_regs r;
	struct sv_sregs s;

	vlapic_reset(&v->lapic);
	for (unsigned w = 0; w < 4; w++)       /* IPIs not yet in the IRR go with it */
		__atomic_store_n(&v->apic_posted[w], 0, __ATOMIC_SEQ_CST);
	/* So do NMIs (as KVM's reset): the new state has no vector table
	 * for one until its code sets one up. nmi_pending is this run's. */
	__atomic_store_n(&v->nmi_queued, 0, __ATOMIC_SEQ_CST);
	v->nmi_pending = 0;
	v->halted = false;
	for (unsigned i = 0; i < 4; i++)
		v->sw.dr[i] = 0;
	vcpu_state_init(&r, &s);   /* the backend's set_state resets DR6 and DR7 */
	if (!load(v, &r, &s))
		return;
	__atomic_store_n(&v->mp_state, v->id == 0 ? SV_MP_STATE_RUNNABLE : SV_MP_STATE_WAIT_SIPI,
			 __ATOMIC_RELAXED);
}

/* While it waits, its registers are the INIT state (INIT, or
 * SET_MP_STATE, put them there and nothing ran since). */
static void apply_sipi(struct vcpu *v, uint8_t vector)
{
	struct sv_regs r;
	struct sv_sregs s;

	vcpu_state_init(&r, &s);
	vcpu_state_sipi(&r, &s, vector);
	if (load(v, &r, &s))
		__atomic_store_n(&v->mp_state, SV_MP_STATE_RUNNABLE, __ATOMIC_RELAXED);
}

bool vcpu_mp_sync(struct vcpu *v)
{
	uint32_t p = __atomic_exchange_n(&v->mp_posted, 0, __ATOMIC_SEQ_CST);

	if (p & POSTED_INIT)
		apply_init(v);
	/* A SIPI to a vCPU not waiting for one is ignored (SDM 9.4.4). */
	if ((p & POSTED_SIPI) && v->mp_state == SV_MP_STATE_WAIT_SIPI && !v->entry_failed)
		apply_sipi(v, (uint8_t)(p & POSTED_VECTOR));
	return v->mp_state == SV_MP_STATE_RUNNABLE && !v->entry_failed;
}
