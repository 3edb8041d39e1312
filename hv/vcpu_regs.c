/*
 * VCPU_GET/SET_REGS and VCPU_GET/SET_SREGS (hv_lock held). Every VM is
 * confidential: its VMM sees and sets registers only before VM_FINALIZE,
 * while they are the initial state the launch digest will describe. So
 * the hypervisor's copy (v->init_*) is what GET returns: it is exactly
 * what the backend was given and what gets measured.
 */
#include <sealvisor/errno.h>
#include "hv/hypercall.h"
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
