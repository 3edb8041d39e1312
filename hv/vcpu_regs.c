/*
 * VCPU_GET/SET_REGS, VCPU_GET/SET_SREGS and VCPU_SET/GET_MP_STATE
 * (hv_lock held). Every VM is
 * confidential: its VMM sees and sets registers only before VM_FINALIZE,
 * while they are the initial state the launch digest will describe. So
 * the hypervisor's copy (v->init_*) is what GET returns: it is exactly
 * what the backend was given and what gets measured.
 */
#include <sealvisor/errno.h>
#include "hv/hypercall.h"
#include "hv/vcpu_state.h"
#include "hv/vm.h"

/* A guest vCPU whose registers its VMM may touch now. */
static int vmm_vcpu(struct vm *vm, uint64_t id, struct vcpu **out)
{
	if (!vm)
		return -ENOENT;
	if (id >= SV_MAX_VCPUS || !vm->vcpus[id].created)
		return -EINVAL;
	if (vm->finalized)
		return -EPERM;
	if (vm->vcpus[id].running)
		return -EBUSY;
	*out = &vm->vcpus[id];
	return 0;
}

int64_t vcpu_regs_call(struct vm *caller, struct vm *vm, unsigned nr, uint64_t id, uint64_t gpa)
{
	bool sregs = nr == SV_HC_VCPU_GET_SREGS || nr == SV_HC_VCPU_SET_SREGS;
	bool set = nr == SV_HC_VCPU_SET_REGS || nr == SV_HC_VCPU_SET_SREGS;
	struct vcpu *v;
	int err = vmm_vcpu(vm, id, &v);

	if (err)
		return err;
	void *p = vm_guest_ptr(caller, gpa, sregs ? sizeof(struct sv_sregs) : sizeof(struct sv_regs));
	if (!p)
		return -EFAULT;
	/* Its registers are the INIT state until a SIPI (hv/vcpu_mp.c). */
	if (set && v->mp_state == SV_MP_STATE_WAIT_SIPI)
		return -EBUSY;
	if (!set) {
		if (sregs)
			*(struct sv_sregs *)p = v->init_sregs;
		else
			*(struct sv_regs *)p = v->init_regs;
		return 0;
	}
	/* Copies: the caller may change its memory under us. */
	struct sv_regs r = v->init_regs;
	struct sv_sregs s = v->init_sregs;
	if (sregs)
		s = *(const struct sv_sregs *)p;
	else
		r = *(const struct sv_regs *)p;
	return vcpu_set_state(v, &r, &s);
}

/* ---- VCPU_SET/GET_MP_STATE (hv/vcpu_mp.h has the mechanism) ---- */

static struct vcpu *mp_vcpu(struct vm *vm, uint64_t id)
{
	return vm && id < SV_MAX_VCPUS && vm->vcpus[id].created ? &vm->vcpus[id] : NULL;
}

/* WAIT_SIPI: the vCPU is as after INIT, so its registers are the INIT
 * state (measured as such); RUNNABLE leaves its registers as they are. */
int64_t vcpu_mp_set_call(struct vm *vm, uint64_t id, uint64_t state)
{
	struct vcpu *v = mp_vcpu(vm, id);

	if (!vm)
		return -ENOENT;
	if (!v || (state != SV_MP_STATE_RUNNABLE && state != SV_MP_STATE_WAIT_SIPI))
		return -EINVAL;
	if (vm->finalized)
		return -EPERM;
	if (v->running)
		return -EBUSY;
	if (state == SV_MP_STATE_WAIT_SIPI) {
		struct sv_regs r;
		struct sv_sregs s;
		vcpu_state_init(&r, &s);
		int err = vcpu_set_state(v, &r, &s);
		if (err)
			return err;
	}
	__atomic_store_n(&v->mp_state, (uint8_t)state, __ATOMIC_RELAXED);
	return 0;
}

int64_t vcpu_mp_get_call(struct vm *vm, uint64_t id)
{
	struct vcpu *v = mp_vcpu(vm, id);

	if (!vm)
		return -ENOENT;
	return v ? __atomic_load_n(&v->mp_state, __ATOMIC_RELAXED) : -EINVAL;
}
