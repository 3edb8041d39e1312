/* Hypercall dispatch: every argument is checked against the caller's
 * rights before anything changes. */
#include <sealvisor/errno.h>
#include "hv/attest.h"
#include "hv/events.h"
#include "hv/hypercall.h"
#include "hv/log.h"
#include "hv/memattr_vm.h"
#include "hv/nmi.h"
#include "hv/msr.h"
#include "hv/run.h"
#include "hv/shutdown.h"
#include "hv/trace.h"
#include "hv/vlapic_msr.h"
#include "hv/watchdog.h"
#include "lib/string.h"
#include "hv/cpu_work.h"
#include "hv/deferred_free.h"
#include "mm/spinlock.h"
#include "mm/pmm.h"

#define CONSOLE_MAX 4096

bool hypercall_audit;
unsigned hypercall_audit_every;
uint64_t hypercall_audits;
static uint64_t calls_since_audit;     /* under hv_lock */

/*
 * Hypercalls from several CPUs are serialised by one lock: the VM table,
 * regions, handles and mappings change only under it. Lock order: hv_lock
 * -> memory object -> stage-2 -> page allocator. VCPU_RUN drops it while
 * the guest runs (the vCPU is owned through v->running meanwhile), so one
 * CPU running a guest never holds up another's hypercalls.
 */
static spinlock_t hv_lock = SPINLOCK_INIT;

/*
 * The argument registers (RDI, RSI, RDX, R10, R8), named per call: a
 * handler reads a->rw.handle, never a register number.
 */
union hc_args {
	uint64_t reg[5];
	struct { uint64_t gpa, len; } console;
	struct { uint64_t status; } shutdown;
	struct { uint64_t out, vm; } stats;
	struct { uint64_t flags; } create;
	struct { uint64_t handle, value; } obj;      /* value: size or seals */
	struct { uint64_t handle, offset, buf, len; } rw;
	struct { uint64_t handle, offset, gpa, len, writable; } map;
	struct { uint64_t gpa; } unmap;
	struct { uint64_t handle, mode, offset, len; } falloc;
	struct { uint64_t id; } vm;
	struct { uint64_t vm, gpa, size, handle, offset; } region;
	struct { uint64_t vm, gpa, src, len; } populate;
	struct { uint64_t vm, out; } measurement;
	struct { uint64_t vm, vcpu, regs; } vcpu_create;
	struct { uint64_t vm, vcpu, run; } vcpu_run;
	struct { uint64_t vm, vcpu, vector, flags; } vcpu_interrupt;
	struct { uint64_t vm, vcpu; } vcpu_nmi;
	struct { uint64_t n, rip, rsp; } control_vcpu;
	struct { uint64_t vm, vcpu, gpa; } regs;
	struct { uint64_t vm, gpa, nr; } cpuid;
	struct { uint64_t vm, policy; } msr_policy;
	struct { uint64_t vm, vcpu, state; } mp_state;
	struct { uint64_t vm, gpa, len, attrs; } memattr;
	struct { uint64_t vm, gpa, handle, offset; } shared_mem;
	struct { uint64_t out; } attest_key;
	struct { uint64_t data, out, len; } report;
	struct { uint64_t index, data; } extend;
};

typedef int64_t (*hc_fn)(struct vm *caller, const union hc_args *a);

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

static int64_t hc_console_write(struct vm *caller, const union hc_args *a)
{
	uint64_t len = a->console.len;

	if (len > CONSOLE_MAX)
		return -EINVAL;
	const char *s = vm_guest_ptr(caller, a->console.gpa, len);
	if (!s)
		return -EFAULT;
	uint64_t start = 0;
	for (uint64_t i = 0; i <= len; i++) {
		if (i < len && s[i] != '\n')
			continue;
		if (i > start || (i < len && s[i] == '\n'))
			console_printf("[%s] %.*s\n", caller->name, (int)(i - start), s + start);
		start = i + 1;
	}
	return (int64_t)len;
}

static int64_t hc_shutdown(struct vm *caller, const union hc_args *a)
{
	if (a->shutdown.status > 255)
		return -EINVAL;
	log_info("control partition asks to shut down with status %lu\n", a->shutdown.status);
	if (hypercall_audit || hypercall_audit_every)
		log_info("audit: %lu stage-2 audits after hypercalls, all clean\n", hypercall_audits);
	trace_flush();
	(void)caller;
	arch_shutdown((int)a->shutdown.status);
}

static int64_t hc_stats(struct vm *caller, const union hc_args *a)
{
	struct sv_stats *st = vm_guest_ptr(caller, a->stats.out, sizeof(*st));
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
	struct vm *vm = guest(a->stats.vm);
	if (vm)
		st->vm_memobj_pages = vm_memobj_pages(vm);
	return 0;
}

static int64_t hc_memobj_create(struct vm *caller, const union hc_args *a)
{
	unsigned h;

	if (a->create.flags > 0xffffffffUL)
		return -EINVAL;
	for (h = 0; h < SV_MAX_HANDLES && caller->handles[h]; h++)
		;
	if (h == SV_MAX_HANDLES)
		return -ENOSPC;
	int err = memobj_create((unsigned)a->create.flags, &caller->handles[h]);
	return err ? err : (int64_t)h;
}

static int64_t hc_memobj_close(struct vm *caller, const union hc_args *a)
{
	struct memobj *o = handle(caller, a->obj.handle);

	if (!o)
		return -EBADF;
	caller->handles[a->obj.handle] = NULL;
	memobj_close(o);
	return 0;
}

static int64_t hc_memobj_set_size(struct vm *caller, const union hc_args *a)
{
	struct memobj *o = handle(caller, a->obj.handle);

	return o ? memobj_set_size(o, a->obj.value) : -EBADF;
}

static int64_t hc_memobj_get_size(struct vm *caller, const union hc_args *a)
{
	struct memobj *o = handle(caller, a->obj.handle);

	return o ? (int64_t)memobj_get_size(o) : -EBADF;
}

static int64_t hc_memobj_add_seals(struct vm *caller, const union hc_args *a)
{
	struct memobj *o = handle(caller, a->obj.handle);

	if (!o)
		return -EBADF;
	return a->obj.value > 0xffffffffUL ? -EINVAL : memobj_add_seals(o, (unsigned)a->obj.value);
}

static int64_t hc_memobj_get_seals(struct vm *caller, const union hc_args *a)
{
	struct memobj *o = handle(caller, a->obj.handle);

	return o ? (int64_t)memobj_get_seals(o) : -EBADF;
}

static int64_t hc_memobj_read(struct vm *caller, const union hc_args *a)
{
	struct memobj *o = handle(caller, a->rw.handle);

	if (!o)
		return -EBADF;
	void *buf = vm_guest_ptr(caller, a->rw.buf, a->rw.len);
	return buf ? memobj_read(o, a->rw.offset, buf, a->rw.len) : -EFAULT;
}

static int64_t hc_memobj_write(struct vm *caller, const union hc_args *a)
{
	struct memobj *o = handle(caller, a->rw.handle);

	if (!o)
		return -EBADF;
	const void *buf = vm_guest_ptr(caller, a->rw.buf, a->rw.len);
	return buf ? memobj_write(o, a->rw.offset, buf, a->rw.len) : -EFAULT;
}

static int64_t hc_memobj_map(struct vm *caller, const union hc_args *a)
{
	struct memobj *o = handle(caller, a->map.handle);

	if (!o)
		return -EBADF;
	if (a->map.writable > 1)
		return -EINVAL;
	return vm_map_object(caller, o, a->map.offset, a->map.gpa, a->map.len, a->map.writable);
}

static int64_t hc_memobj_unmap(struct vm *caller, const union hc_args *a)
{
	return vm_unmap_object(caller, a->unmap.gpa);
}

static int64_t hc_memobj_fallocate(struct vm *caller, const union hc_args *a)
{
	struct memobj *o = handle(caller, a->falloc.handle);

	if (!o)
		return -EBADF;
	if (a->falloc.mode > 0xffffffffUL)
		return -EOPNOTSUPP;
	return memobj_fallocate(o, (unsigned)a->falloc.mode, a->falloc.offset, a->falloc.len);
}

static int64_t hc_vm_create(struct vm *caller, const union hc_args *a)
{
	struct vm *vm;

	(void)caller, (void)a;
	int err = vm_create_guest(&vm);
	return err ? err : (int64_t)vm->id;
}

static int64_t hc_vm_destroy(struct vm *caller, const union hc_args *a)
{
	struct vm *vm = guest(a->vm.id);

	(void)caller;
	if (!vm)
		return -ENOENT;
	for (unsigned i = 0; i < SV_MAX_VCPUS; i++)
		if (vm->vcpus[i].running)
			return -EBUSY;
	vm_destroy(vm);
	return 0;
}

static int64_t hc_vm_set_region(struct vm *caller, const union hc_args *a)
{
	struct vm *vm = guest(a->region.vm);
	struct memobj *o = handle(caller, a->region.handle);

	if (!vm)
		return -ENOENT;
	if (!o)
		return -EBADF;
	return vm_set_region(vm, a->region.gpa, a->region.size, o, a->region.offset);
}

static int64_t hc_vm_populate(struct vm *caller, const union hc_args *a)
{
	struct vm *vm = guest(a->populate.vm);

	if (!vm)
		return -ENOENT;
	const void *src = vm_guest_ptr(caller, a->populate.src, a->populate.len);
	if (!src)
		return -EFAULT;
	return vm_populate(vm, a->populate.gpa, src, a->populate.len);
}

static int64_t hc_vm_finalize(struct vm *caller, const union hc_args *a)
{
	struct vm *vm = guest(a->vm.id);

	(void)caller;
	return vm ? vm_finalize(vm) : -ENOENT;
}

static int64_t hc_vm_get_measurement(struct vm *caller, const union hc_args *a)
{
	struct vm *vm = guest(a->measurement.vm);

	if (!vm)
		return -ENOENT;
	uint8_t *out = vm_guest_ptr(caller, a->measurement.out, SV_MEASUREMENT_SIZE);
	if (!out)
		return -EFAULT;
	if (!vm->finalized)
		return -EBUSY;
	memcpy(out, vm->measurement, SV_MEASUREMENT_SIZE);
	return 0;
}

static int64_t hc_vcpu_create(struct vm *caller, const union hc_args *a)
{
	struct vm *vm = guest(a->vcpu_create.vm);

	if (!vm)
		return -ENOENT;
	if (a->vcpu_create.vcpu >= SV_MAX_VCPUS)
		return -EINVAL;
	const struct sv_vcpu_regs *r = vm_guest_ptr(caller, a->vcpu_create.regs, sizeof(*r));
	if (!r)
		return -EFAULT;
	struct sv_vcpu_regs copy = *r;   /* the caller may change it under us */
	return vcpu_create(vm, (unsigned)a->vcpu_create.vcpu, &copy);
}

static int64_t hc_vcpu_run(struct vm *caller, const union hc_args *a)
{
	struct vm *vm = guest(a->vcpu_run.vm);

	if (!vm)
		return -ENOENT;
	if (a->vcpu_run.vcpu >= SV_MAX_VCPUS || !vm->vcpus[a->vcpu_run.vcpu].created)
		return -EINVAL;
	struct sv_run *run = vm_guest_ptr(caller, a->vcpu_run.run, sizeof(*run));
	if (!run)
		return -EFAULT;
	struct vcpu *v = &vm->vcpus[a->vcpu_run.vcpu];
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

static int64_t hc_vm_set_msr_policy(struct vm *caller, const union hc_args *a)
{
	struct vm *vm = guest(a->msr_policy.vm);

	(void)caller;
	return vm ? msr_set_policy(vm, a->msr_policy.policy) : -ENOENT;
}

/* LEVEL means something only for an APIC message (an injected external
 * interrupt has no EOI to report). */
static bool interrupt_flags_valid(uint64_t flags)
{
	if (flags & ~(uint64_t)(SV_IRQ_APIC_MESSAGE | SV_IRQ_APIC_LEVEL))
		return false;
	return !(flags & SV_IRQ_APIC_LEVEL) || (flags & SV_IRQ_APIC_MESSAGE);
}

/* Queued whether or not the vCPU runs (hv/events.h); before finalize too:
 * like I/O data, an interrupt is the VMM's input at run time, not launch
 * state. */
static int64_t hc_vcpu_interrupt(struct vm *caller, const union hc_args *a)
{
	struct vm *vm = guest(a->vcpu_interrupt.vm);

	(void)caller;
	if (!vm)
		return -ENOENT;
	if (a->vcpu_interrupt.vcpu >= SV_MAX_VCPUS || !vm->vcpus[a->vcpu_interrupt.vcpu].created ||
	    a->vcpu_interrupt.vector > 255 || !interrupt_flags_valid(a->vcpu_interrupt.flags))
		return -EINVAL;
	struct vcpu *v = &vm->vcpus[a->vcpu_interrupt.vcpu];
	if (a->vcpu_interrupt.flags & SV_IRQ_APIC_MESSAGE) {
		if (a->vcpu_interrupt.vector < EVENTS_FIRST_VECTOR)
			return -EINVAL;
		if (a->vcpu_interrupt.flags & SV_IRQ_APIC_LEVEL)   /* kicks it */
			vlapic_post_level(v, (uint8_t)a->vcpu_interrupt.vector);
		else
			vlapic_post(v, (uint8_t)a->vcpu_interrupt.vector);
		return 0;
	}
	int err = vcpu_raise_interrupt(v, (unsigned)a->vcpu_interrupt.vector);
	if (!err && v->running)
		events_kick_vm(vm);
	return err;
}

/* Like VCPU_INTERRUPT: raised whether or not the vCPU runs, kicked if it
 * does. Raising never fails and never grows (hv/nmi.h). */
static int64_t hc_vcpu_nmi(struct vm *caller, const union hc_args *a)
{
	struct vm *vm = guest(a->vcpu_nmi.vm);

	(void)caller;
	if (!vm)
		return -ENOENT;
	if (a->vcpu_nmi.vcpu >= SV_MAX_VCPUS || !vm->vcpus[a->vcpu_nmi.vcpu].created)
		return -EINVAL;
	struct vcpu *v = &vm->vcpus[a->vcpu_nmi.vcpu];
	vcpu_raise_nmi(v);
	if (v->running)
		events_kick_vm(vm);
	return 0;
}

static int64_t hc_control_vcpu_start(struct vm *caller, const union hc_args *a)
{
	uint64_t n = a->control_vcpu.n;
	struct sv_vcpu_regs regs = { .rip = a->control_vcpu.rip, .rsp = a->control_vcpu.rsp,
				     .rdi = n, .cr3 = caller->vcpus[0].cr3 };

	if (n == 0 || n >= hv_nr_cpus || n >= SV_MAX_VCPUS)
		return -EINVAL;
	int err = vcpu_create(caller, (unsigned)n, &regs);
	if (err)
		return err;
	hv_start_cpu_work((unsigned)n);   /* it runs on CPU n, not here */
	return 0;
}

static int64_t hc_control_vcpu_wake(struct vm *caller, const union hc_args *a)
{
	uint64_t n = a->control_vcpu.n;

	if (n == 0 || n >= hv_nr_cpus || n >= SV_MAX_VCPUS || !caller->vcpus[n].created)
		return -EINVAL;
	hv_wake_control_vcpu((unsigned)n);
	return 0;
}

static int64_t hc_vcpu_get_regs(struct vm *caller, const union hc_args *a)
{
	return vcpu_regs_call(caller, guest(a->regs.vm), SV_HC_VCPU_GET_REGS, a->regs.vcpu,
			      a->regs.gpa);
}

static int64_t hc_vcpu_set_regs(struct vm *caller, const union hc_args *a)
{
	return vcpu_regs_call(caller, guest(a->regs.vm), SV_HC_VCPU_SET_REGS, a->regs.vcpu,
			      a->regs.gpa);
}

static int64_t hc_vcpu_get_sregs(struct vm *caller, const union hc_args *a)
{
	return vcpu_regs_call(caller, guest(a->regs.vm), SV_HC_VCPU_GET_SREGS, a->regs.vcpu,
			      a->regs.gpa);
}

static int64_t hc_vcpu_set_sregs(struct vm *caller, const union hc_args *a)
{
	return vcpu_regs_call(caller, guest(a->regs.vm), SV_HC_VCPU_SET_SREGS, a->regs.vcpu,
			      a->regs.gpa);
}

static int64_t hc_vm_set_cpuid(struct vm *caller, const union hc_args *a)
{
	return vm_set_cpuid_call(caller, guest(a->cpuid.vm), a->cpuid.gpa, a->cpuid.nr);
}

static int64_t hc_vcpu_set_mp_state(struct vm *caller, const union hc_args *a)
{
	(void)caller;
	return vcpu_mp_set_call(guest(a->mp_state.vm), a->mp_state.vcpu, a->mp_state.state);
}

static int64_t hc_vcpu_get_mp_state(struct vm *caller, const union hc_args *a)
{
	(void)caller;
	return vcpu_mp_get_call(guest(a->mp_state.vm), a->mp_state.vcpu);
}

static int64_t hc_vm_set_memory_attributes(struct vm *caller, const union hc_args *a)
{
	struct vm *vm = guest(a->memattr.vm);

	(void)caller;
	if (!vm)
		return -ENOENT;
	return vm_set_memory_attributes(vm, a->memattr.gpa, a->memattr.len, a->memattr.attrs);
}

static int64_t hc_vm_set_shared_memory(struct vm *caller, const union hc_args *a)
{
	struct vm *vm = guest(a->shared_mem.vm);
	struct memobj *o = handle(caller, a->shared_mem.handle);

	if (!vm)
		return -ENOENT;
	if (!o)
		return -EBADF;
	return vm_set_shared_memory(vm, a->shared_mem.gpa, o, a->shared_mem.offset);
}

/* A guest's calls about its own memory never come here (hv/run.c runs
 * them on its vCPU): only the control partition, which has no such
 * memory, reaches this. */
static int64_t hc_guest_memory_call(struct vm *caller, const union hc_args *a)
{
	(void)caller, (void)a;
	return -EPERM;
}

static int64_t hc_attest_public_key(struct vm *caller, const union hc_args *a)
{
	return attest_hc_public_key(caller, a->attest_key.out);
}

/* Signed without hv_lock, as VCPU_RUN runs without it (hv/attest.h):
 * a guest asking for reports in a loop holds up no one's hypercalls. */
static int64_t hc_guest_get_report(struct vm *caller, const union hc_args *a)
{
	struct sv_report report;
	int64_t r = attest_report_prepare(caller, a->report.data, a->report.out, a->report.len,
					  &report);

	if (r)
		return r;
	spin_unlock(&hv_lock);
	r = attest_sign(&report);
	spin_lock(&hv_lock);
	return r ? r : attest_report_deliver(caller, a->report.out, &report);
}

static int64_t hc_guest_extend(struct vm *caller, const union hc_args *a)
{
	return attest_hc_extend(caller, a->extend.index, a->extend.data);
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
	[SV_HC_VCPU_GET_REGS] = { hc_vcpu_get_regs, false },
	[SV_HC_VCPU_SET_REGS] = { hc_vcpu_set_regs, false },
	[SV_HC_VCPU_GET_SREGS] = { hc_vcpu_get_sregs, false },
	[SV_HC_VCPU_SET_SREGS] = { hc_vcpu_set_sregs, false },
	[SV_HC_VM_SET_CPUID] = { hc_vm_set_cpuid, false },
	[SV_HC_VM_SET_MSR_POLICY] = { hc_vm_set_msr_policy, false },
	[SV_HC_VCPU_INTERRUPT] = { hc_vcpu_interrupt, false },
	[SV_HC_VCPU_NMI] = { hc_vcpu_nmi, false },
	[SV_HC_VCPU_SET_MP_STATE] = { hc_vcpu_set_mp_state, false },
	[SV_HC_VCPU_GET_MP_STATE] = { hc_vcpu_get_mp_state, false },
	[SV_HC_VM_SET_MEMORY_ATTRIBUTES] = { hc_vm_set_memory_attributes, false },
	[SV_HC_VM_SET_SHARED_MEMORY] = { hc_vm_set_shared_memory, false },
	[SV_HC_GUEST_ACCEPT] = { hc_guest_memory_call, true },
	[SV_HC_GUEST_MAP_GPA] = { hc_guest_memory_call, true },
	[SV_HC_GUEST_VE_INFO] = { hc_guest_memory_call, true },
	[SV_HC_ATTEST_PUBLIC_KEY] = { hc_attest_public_key, false },
	/* A guest's calls about itself (the control partition: -EPERM). */
	[SV_HC_GUEST_GET_REPORT] = { hc_guest_get_report, true },
	[SV_HC_GUEST_EXTEND] = { hc_guest_extend, true },
};

/* hv_lock held. */
static bool audit_due(void)
{
	if (hypercall_audit)
		return true;
	if (!hypercall_audit_every || ++calls_since_audit < hypercall_audit_every)
		return false;
	calls_since_audit = 0;
	return true;
}

int64_t hypercall_dispatch(struct vm *caller, const uint64_t a[7])
{
	uint64_t nr = a[0];

	if (nr >= SV_HC_MAX || !table[nr].fn)
		return -ENOSYS;
	if (!caller->is_control && !table[nr].any_partition)
		return -EPERM;
	union hc_args args = { .reg = { a[1], a[2], a[3], a[4], a[5] } };
	hv_defer_frees_begin();
	spin_lock(&hv_lock);
	int64_t r = table[nr].fn(caller, &args);
	if (audit_due() && (hypercall_audits++, vm_audit()))
		panic("ownership audit failed after hypercall %lu", nr);
	spin_unlock(&hv_lock);
	hv_defer_frees_end();       /* zero and free what it removed: no lock held */
	watchdog_progress(caller);
	trace_hypercall(caller, a, r);
	return r;
}
