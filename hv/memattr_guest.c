/*
 * A guest's calls about its own memory (hv/memattr_vm.h): ACCEPT, MAP_GPA
 * and VE_INFO. They run on the guest's vCPU without hv_lock (its regions
 * are fixed since finalize); attr_lock orders them against faults and the
 * VMM's attribute calls. Every address is the guest's own gpa, checked
 * against its own regions: it cannot name another VM's memory.
 */
#include <sealvisor/errno.h>
#include "hv/memattr_vm.h"
#include "hv/vm.h"
#include "mm/pmm.h"

#define SIZE_2M (2UL << 20)
#define ERRNO_MAX 4095

bool memattr_is_guest_call(uint64_t nr)
{
	return nr == SV_HC_GUEST_ACCEPT || nr == SV_HC_GUEST_MAP_GPA || nr == SV_HC_GUEST_VE_INFO;
}

/* The region holding all of [gpa, +len): 0 or -errno. Its attributes are
 * there since VM_FINALIZE if it is GUEST-sealed (-EPERM otherwise: no
 * private memory to speak of); a guest runs only after finalize, so
 * nothing is allocated here. */
static int guest_range(struct vm *vm, uint64_t gpa, uint64_t len, struct region **out)
{
	if ((gpa | len) & ~PAGE_MASK || !len || len > S2_GPA_LIMIT)
		return -EINVAL;
	struct region *r = vm_find_region(vm, gpa);
	if (!r || len > r->size - (gpa - r->gpa))
		return -EINVAL;
	*out = r;
	return __atomic_load_n(&r->attr, __ATOMIC_ACQUIRE) ? 0 : -EPERM;
}

/*
 * Like TDG.MEM.PAGE.ACCEPT: all-or-nothing over 4 KiB or an aligned 2 MiB.
 * The pages are punched first: whatever the private object held there,
 * the guest starts from zeros.
 */
static int64_t guest_accept(struct vm *vm, uint64_t gpa, uint64_t size)
{
	struct region *r;

	if ((size != PAGE_SIZE && size != SIZE_2M) || gpa & (size - 1))
		return -EINVAL;
	int err = guest_range(vm, gpa, size, &r);
	if (err)
		return err;
	uint64_t pg = (gpa - r->gpa) >> PAGE_SHIFT, n = size >> PAGE_SHIFT;
	spin_lock(&vm->attr_lock);
	if (!memattr_all(r->attr, pg, n, false))
		err = -EINVAL;
	else if (memattr_any_accepted(r->attr, pg, n))
		err = -EEXIST;
	else
		err = memobj_fallocate(r->obj, MEMOBJ_FALLOC_PUNCH_HOLE | MEMOBJ_FALLOC_KEEP_SIZE,
				       r->offset + (gpa - r->gpa), size);
	for (uint64_t i = 0; !err && i < n; i++)
		memattr_set_accepted(r->attr, pg + i, true);
	spin_unlock(&vm->attr_lock);
	return err;
}

static bool guest_map_gpa(struct vcpu *v, struct sv_run *run)
{
	struct guest_regs *g = &v->regs;
	uint64_t gpa = g->rdi, len = g->rsi, shared = g->rdx;
	struct region *r;

	int err = shared > 1 ? -EINVAL : guest_range(v->vm, gpa, len, &r);
	if (err) {
		g->rax = (uint64_t)(int64_t)err;
		return false;
	}
	v->map_req.gpa = gpa;
	v->map_req.len = len;
	v->map_req.shared = shared;
	v->pending = PENDING_MAP_GPA;
	run->exit_reason = SV_EXIT_MAP_GPA;
	run->memory.gpa = gpa;
	run->memory.size = len;
	run->memory.attributes = (uint32_t)shared;
	run->memory.pad = 0;
	run->memory.ret = -ENOSYS;    /* a VMM that does not know the exit */
	return true;
}

/*
 * The VMM's answer: an error goes to the guest as it is; success only if
 * the range now has the attribute asked for (else -EIO: the VMM claims a
 * conversion it did not make). Shared pages the guest asked for are
 * accepted by the asking; private ones still need SV_HC_GUEST_ACCEPT.
 */
int64_t memattr_map_gpa_answer(struct vcpu *v, const struct sv_run *run)
{
	int64_t ret = __atomic_load_n(&run->memory.ret, __ATOMIC_RELAXED);
	uint64_t gpa = v->map_req.gpa, len = v->map_req.len;
	bool shared = v->map_req.shared;

	if (ret > 0 || ret < -ERRNO_MAX)
		return -EIO;
	if (ret)
		return ret;
	struct region *r = vm_find_region(v->vm, gpa);
	uint64_t pg = (gpa - r->gpa) >> PAGE_SHIFT, n = len >> PAGE_SHIFT;
	spin_lock(&v->vm->attr_lock);
	if (!memattr_all(r->attr, pg, n, shared))
		ret = -EIO;
	for (uint64_t i = 0; !ret && shared && i < n; i++)
		memattr_set_accepted(r->attr, pg + i, true);
	spin_unlock(&v->vm->attr_lock);
	return ret;
}

bool memattr_guest_call(struct vcpu *v, struct sv_run *run)
{
	struct guest_regs *g = &v->regs;

	switch (g->rax) {
	case SV_HC_GUEST_ACCEPT:
		g->rax = (uint64_t)guest_accept(v->vm, g->rdi, g->rsi);
		return false;
	case SV_HC_GUEST_MAP_GPA:
		return guest_map_gpa(v, run);
	default:   /* SV_HC_GUEST_VE_INFO */
		g->rax = v->ve_pending ? v->ve_gpa : (uint64_t)(int64_t)-ENOENT;
		v->ve_pending = false;
		return false;
	}
}
