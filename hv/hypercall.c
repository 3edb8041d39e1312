/* Hypercall dispatch: every argument is checked against the caller's
 * rights before anything changes (DESIGN invariant 5). */
#include <sealvisor/errno.h>
#include "hv/hypercall.h"
#include "hv/log.h"
#include "hv/run.h"
#include "hv/shutdown.h"
#include "hv/trace.h"
#include "hv/watchdog.h"
#include "lib/string.h"
#include "hv/control.h"
#include "mm/spinlock.h"
#include "mm/pmm.h"

#define CONSOLE_MAX 4096

bool hypercall_audit;

/*
 * Hypercalls from several CPUs are serialised by one lock: the VM table,
 * regions, handles and mappings change only under it. Lock order: hv_lock
 * -> memory object -> stage-2 -> page allocator. VCPU_RUN drops it while
 * the guest runs (the vCPU is owned through v->running meanwhile), so one
 * CPU running a guest never holds up another's hypercalls.
 */
static spinlock_t hv_lock = SPINLOCK_INIT;

typedef int64_t (*hc_fn)(struct vm *caller, const uint64_t *a);

static struct memobj *handle(struct vm *caller, uint64_t h)
{
	return h < SV_MAX_HANDLES ? caller->handles[h] : NULL;
}

/* A guest VM named by the control partition: the whole 64-bit id is
 * checked before it is narrowed (2^32 must not name VM 0). */
static struct vm *guest(uint64_t id)
{
	return id && id < SV_MAX_VMS ? vm_get((unsigned)id) : NULL;
}

#define OBJ_OR_EBADF(o, caller, h)             \
	struct memobj *o = handle(caller, h);  \
	if (!o)                                \
		return -EBADF

#define VM_OR_ENOENT(vm, id)        \
	struct vm *vm = guest(id);  \
	if (!vm)                    \
		return -ENOENT

static int64_t hc_console_write(struct vm *caller, const uint64_t *a)
{
	if (a[1] > CONSOLE_MAX)
		return -EINVAL;
	const char *s = vm_guest_ptr(caller, a[0], a[1]);
	if (!s)
		return -EFAULT;
	uint64_t start = 0;
	for (uint64_t i = 0; i <= a[1]; i++) {
		if (i < a[1] && s[i] != '\n')
			continue;
		if (i > start || (i < a[1] && s[i] == '\n'))
			console_printf("[%s] %.*s\n", caller->name, (int)(i - start), s + start);
		start = i + 1;
	}
	return (int64_t)a[1];
}

static int64_t hc_shutdown(struct vm *caller, const uint64_t *a)
{
	if (a[0] > 255)
		return -EINVAL;
	log_info("control partition asks to shut down with status %lu\n", a[0]);
	(void)caller;
	system_shutdown((int)a[0]);
}

static int64_t hc_stats(struct vm *caller, const uint64_t *a)
{
	struct sv_stats *st = vm_guest_ptr(caller, a[0], sizeof(*st));
	struct pmm_stats p;

	if (!st)
		return -EFAULT;
	pmm_get_stats(&p);
	*st = (struct sv_stats){
		.total_pages = p.managed_pages, .free_pages = p.free_pages,
		.hv_pages = p.by_owner[OWNER_HV], .heap_pages = p.by_owner[OWNER_HEAP],
		.partition_pages = p.by_owner[OWNER_PARTITION],
		.memobj_pages = p.by_owner[OWNER_MEMOBJ], .stage2_pages = p.by_owner[OWNER_STAGE2],
		.memobjs = memobj_nr_objects(),
	};
	for (unsigned i = 0; i < SV_MAX_VMS; i++)
		st->vms += vms[i].in_use;
	struct vm *vm = guest(a[1]);
	if (vm)
		st->vm_memobj_pages = vm_memobj_pages(vm);
	return 0;
}

static int64_t hc_memobj_create(struct vm *caller, const uint64_t *a)
{
	unsigned h;

	if (a[0] > 0xffffffffUL)
		return -EINVAL;
	for (h = 0; h < SV_MAX_HANDLES && caller->handles[h]; h++)
		;
	if (h == SV_MAX_HANDLES)
		return -ENOSPC;
	int err = memobj_create((unsigned)a[0], &caller->handles[h]);
	return err ? err : (int64_t)h;
}

static int64_t hc_memobj_close(struct vm *caller, const uint64_t *a)
{
	OBJ_OR_EBADF(o, caller, a[0]);
	caller->handles[a[0]] = NULL;
	memobj_close(o);
	return 0;
}

static int64_t hc_memobj_set_size(struct vm *caller, const uint64_t *a)
{
	OBJ_OR_EBADF(o, caller, a[0]);
	return memobj_set_size(o, a[1]);
}

static int64_t hc_memobj_get_size(struct vm *caller, const uint64_t *a)
{
	OBJ_OR_EBADF(o, caller, a[0]);
	return (int64_t)memobj_get_size(o);
}

static int64_t hc_memobj_add_seals(struct vm *caller, const uint64_t *a)
{
	OBJ_OR_EBADF(o, caller, a[0]);
	return a[1] > 0xffffffffUL ? -EINVAL : memobj_add_seals(o, (unsigned)a[1]);
}

static int64_t hc_memobj_get_seals(struct vm *caller, const uint64_t *a)
{
	OBJ_OR_EBADF(o, caller, a[0]);
	return memobj_get_seals(o);
}

static int64_t hc_memobj_read(struct vm *caller, const uint64_t *a)
{
	OBJ_OR_EBADF(o, caller, a[0]);
	void *buf = vm_guest_ptr(caller, a[2], a[3]);
	return buf ? memobj_read(o, a[1], buf, a[3]) : -EFAULT;
}

static int64_t hc_memobj_write(struct vm *caller, const uint64_t *a)
{
	OBJ_OR_EBADF(o, caller, a[0]);
	const void *buf = vm_guest_ptr(caller, a[2], a[3]);
	return buf ? memobj_write(o, a[1], buf, a[3]) : -EFAULT;
}

static int64_t hc_memobj_map(struct vm *caller, const uint64_t *a)
{
	OBJ_OR_EBADF(o, caller, a[0]);
	return a[4] > 1 ? -EINVAL : vm_map_object(caller, o, a[1], a[2], a[3], a[4]);
}

static int64_t hc_memobj_unmap(struct vm *caller, const uint64_t *a)
{
	return vm_unmap_object(caller, a[0]);
}

static int64_t hc_memobj_fallocate(struct vm *caller, const uint64_t *a)
{
	OBJ_OR_EBADF(o, caller, a[0]);
	return a[1] > 0xffffffffUL ? -EOPNOTSUPP : memobj_fallocate(o, (unsigned)a[1], a[2], a[3]);
}

static int64_t hc_vm_create(struct vm *caller, const uint64_t *a)
{
	struct vm *vm;

	(void)caller, (void)a;
	int err = vm_create_guest(&vm);
	return err ? err : (int64_t)vm->id;
}

static int64_t hc_vm_destroy(struct vm *caller, const uint64_t *a)
{
	VM_OR_ENOENT(vm, a[0]);
	(void)caller;
	for (unsigned i = 0; i < SV_MAX_VCPUS; i++)
		if (vm->vcpus[i].running)
			return -EBUSY;
	vm_destroy(vm);
	return 0;
}

static int64_t hc_vm_set_region(struct vm *caller, const uint64_t *a)
{
	VM_OR_ENOENT(vm, a[0]);
	OBJ_OR_EBADF(o, caller, a[3]);
	return vm_set_region(vm, a[1], a[2], o, a[4]);
}

static int64_t hc_vm_populate(struct vm *caller, const uint64_t *a)
{
	VM_OR_ENOENT(vm, a[0]);
	const void *src = vm_guest_ptr(caller, a[2], a[3]);
	if (!src)
		return -EFAULT;
	return vm_populate(vm, a[1], src, a[3]);
}

static int64_t hc_vm_finalize(struct vm *caller, const uint64_t *a)
{
	VM_OR_ENOENT(vm, a[0]);
	(void)caller;
	return vm_finalize(vm);
}

static int64_t hc_vm_get_measurement(struct vm *caller, const uint64_t *a)
{
	VM_OR_ENOENT(vm, a[0]);
	uint8_t *out = vm_guest_ptr(caller, a[1], SV_MEASUREMENT_SIZE);
	if (!out)
		return -EFAULT;
	if (!vm->finalized)
		return -EBUSY;
	memcpy(out, vm->measurement, SV_MEASUREMENT_SIZE);
	return 0;
}

static int64_t hc_vcpu_create(struct vm *caller, const uint64_t *a)
{
	VM_OR_ENOENT(vm, a[0]);
	const struct sv_vcpu_regs *r = vm_guest_ptr(caller, a[2], sizeof(*r));
	if (a[1] >= SV_MAX_VCPUS)
		return -EINVAL;
	if (!r)
		return -EFAULT;
	struct sv_vcpu_regs copy = *r;   /* the caller may change it under us */
	return vcpu_create(vm, (unsigned)a[1], &copy);
}

static int64_t hc_vcpu_run(struct vm *caller, const uint64_t *a)
{
	VM_OR_ENOENT(vm, a[0]);
	struct sv_run *run = vm_guest_ptr(caller, a[2], sizeof(*run));
	if (a[1] >= SV_MAX_VCPUS || !vm->vcpus[a[1]].created)
		return -EINVAL;
	if (!run)
		return -EFAULT;
	struct vcpu *v = &vm->vcpus[a[1]];
	if (v->running)
		return -EBUSY;          /* on another CPU right now */
	if (v->entry_failed)
		return -EIO;            /* its state is whatever the CPU left */
	v->running = true;
	spin_unlock(&hv_lock);
	int64_t r = vcpu_run_for_vmm(v, run);
	spin_lock(&hv_lock);
	v->running = false;
	return r;
}

static int64_t hc_control_vcpu_start(struct vm *caller, const uint64_t *a)
{
	struct sv_vcpu_regs regs = { .rip = a[1], .rsp = a[2], .rdi = a[0],
				     .cr3 = caller->vcpus[0].cr3 };
	if (a[0] == 0 || a[0] >= hv_nr_cpus || a[0] >= SV_MAX_VCPUS)
		return -EINVAL;
	int err = vcpu_create(caller, (unsigned)a[0], &regs);
	if (err)
		return err;
	hv_start_cpu_work((unsigned)a[0]);   /* it runs on CPU a[0], not here */
	return 0;
}

static int64_t hc_control_vcpu_wake(struct vm *caller, const uint64_t *a)
{
	if (a[0] == 0 || a[0] >= hv_nr_cpus || a[0] >= SV_MAX_VCPUS || !caller->vcpus[a[0]].created)
		return -EINVAL;
	hv_wake_control_vcpu((unsigned)a[0]);
	return 0;
}

static const struct {
	hc_fn fn;
	bool any_partition;
} table[SV_HC_MAX] = {
	[SV_HC_CONSOLE_WRITE] = { hc_console_write, true },
	[SV_HC_SYSTEM_SHUTDOWN] = { hc_shutdown, false },
	[SV_HC_STATS] = { hc_stats, true },
	[SV_HC_MEMOBJ_CREATE] = { hc_memobj_create, false },
	[SV_HC_MEMOBJ_CLOSE] = { hc_memobj_close, false },
	[SV_HC_MEMOBJ_SET_SIZE] = { hc_memobj_set_size, false },
	[SV_HC_MEMOBJ_GET_SIZE] = { hc_memobj_get_size, false },
	[SV_HC_MEMOBJ_ADD_SEALS] = { hc_memobj_add_seals, false },
	[SV_HC_MEMOBJ_GET_SEALS] = { hc_memobj_get_seals, false },
	[SV_HC_MEMOBJ_READ] = { hc_memobj_read, false },
	[SV_HC_MEMOBJ_WRITE] = { hc_memobj_write, false },
	[SV_HC_MEMOBJ_MAP] = { hc_memobj_map, false },
	[SV_HC_MEMOBJ_UNMAP] = { hc_memobj_unmap, false },
	[SV_HC_MEMOBJ_FALLOCATE] = { hc_memobj_fallocate, false },
	[SV_HC_VM_CREATE] = { hc_vm_create, false },
	[SV_HC_VM_DESTROY] = { hc_vm_destroy, false },
	[SV_HC_VM_SET_REGION] = { hc_vm_set_region, false },
	[SV_HC_VM_POPULATE] = { hc_vm_populate, false },
	[SV_HC_VM_FINALIZE] = { hc_vm_finalize, false },
	[SV_HC_VM_GET_MEASUREMENT] = { hc_vm_get_measurement, false },
	[SV_HC_VCPU_CREATE] = { hc_vcpu_create, false },
	[SV_HC_VCPU_RUN] = { hc_vcpu_run, false },
	[SV_HC_CONTROL_VCPU_START] = { hc_control_vcpu_start, false },
	[SV_HC_CONTROL_VCPU_WAKE] = { hc_control_vcpu_wake, false },
};

int64_t hypercall_dispatch(struct vm *caller, const uint64_t a[7])
{
	uint64_t nr = a[0];

	if (nr >= SV_HC_MAX || !table[nr].fn)
		return -ENOSYS;
	if (!caller->is_control && !table[nr].any_partition)
		return -EPERM;
	spin_lock(&hv_lock);
	int64_t r = table[nr].fn(caller, a + 1);
	if (hypercall_audit && vm_audit())
		panic("ownership audit failed after hypercall %lu", nr);
	spin_unlock(&hv_lock);
	watchdog_progress(caller);
	trace_hypercall(caller, a, r);
	return r;
}
