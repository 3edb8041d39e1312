/*
 * hypercall-rights: a guest calls every hypervisor hypercall number
 * 0 .. SV_HC_GUEST_BASE-1 itself (VMMCALL/VMCALL with RAX below the guest
 * base goes to the hypervisor, not to its VMM) and checks the answer:
 *   - a control-only number: -EPERM;
 *   - an undefined number: -ENOSYS;
 *   - CONSOLE_WRITE and STATS (any partition): success, or -EFAULT (a guest
 *     has no control RAM for the buffer);
 *   - a guest's calls about its own memory (ACCEPT, MAP_GPA, VE_INFO), with
 *     zero arguments: -EINVAL (an empty range, no exit to the VMM) and
 *     -ENOENT (no #VE yet).
 *   - GUEST_GET_REPORT and GUEST_EXTEND (a guest's own calls): success
 *     (-ENODEV for the report on a CPU without RDSEED/RDRAND).
 * The arguments are ones that WOULD succeed were the rights check missing:
 * SYSTEM_SHUTDOWN(0) would stop the machine with status 0 before the
 * summary line below is printed (the boot test requires that line and the
 * VMM's "summary: hypercall-rights PASS"); VM_CREATE would return a VM id
 * and leak it (the VMM's leak check); CONTROL_VCPU_WAKE(1) would return 0.
 */
#include "guest/lib/kernel.h"

static unsigned checked, failures;

static const char *name(uint64_t nr)
{
	switch (nr) {
	case SV_HC_CONSOLE_WRITE: return "CONSOLE_WRITE";
	case SV_HC_SYSTEM_SHUTDOWN: return "SYSTEM_SHUTDOWN";
	case SV_HC_STATS: return "STATS";
	case SV_HC_MEMOBJ_CREATE: return "MEMOBJ_CREATE";
	case SV_HC_MEMOBJ_CLOSE: return "MEMOBJ_CLOSE";
	case SV_HC_MEMOBJ_SET_SIZE: return "MEMOBJ_SET_SIZE";
	case SV_HC_MEMOBJ_GET_SIZE: return "MEMOBJ_GET_SIZE";
	case SV_HC_MEMOBJ_ADD_SEALS: return "MEMOBJ_ADD_SEALS";
	case SV_HC_MEMOBJ_GET_SEALS: return "MEMOBJ_GET_SEALS";
	case SV_HC_MEMOBJ_READ: return "MEMOBJ_READ";
	case SV_HC_MEMOBJ_WRITE: return "MEMOBJ_WRITE";
	case SV_HC_MEMOBJ_MAP: return "MEMOBJ_MAP";
	case SV_HC_MEMOBJ_UNMAP: return "MEMOBJ_UNMAP";
	case SV_HC_MEMOBJ_FALLOCATE: return "MEMOBJ_FALLOCATE";
	case SV_HC_VM_CREATE: return "VM_CREATE";
	case SV_HC_VM_DESTROY: return "VM_DESTROY";
	case SV_HC_VM_SET_REGION: return "VM_SET_REGION";
	case SV_HC_VM_POPULATE: return "VM_POPULATE";
	case SV_HC_VM_FINALIZE: return "VM_FINALIZE";
	case SV_HC_VM_GET_MEASUREMENT: return "VM_GET_MEASUREMENT";
	case SV_HC_VCPU_CREATE: return "VCPU_CREATE";
	case SV_HC_VCPU_RUN: return "VCPU_RUN";
	case SV_HC_CONTROL_VCPU_START: return "CONTROL_VCPU_START";
	case SV_HC_CONTROL_VCPU_WAKE: return "CONTROL_VCPU_WAKE";
	case SV_HC_VCPU_GET_REGS: return "VCPU_GET_REGS";
	case SV_HC_VCPU_SET_REGS: return "VCPU_SET_REGS";
	case SV_HC_VCPU_GET_SREGS: return "VCPU_GET_SREGS";
	case SV_HC_VCPU_SET_SREGS: return "VCPU_SET_SREGS";
	case SV_HC_VM_SET_CPUID: return "VM_SET_CPUID";
	case SV_HC_VM_SET_MSR_POLICY: return "VM_SET_MSR_POLICY";
	case SV_HC_VCPU_INTERRUPT: return "VCPU_INTERRUPT";
	case SV_HC_VCPU_NMI: return "VCPU_NMI";
	case SV_HC_VCPU_SET_MP_STATE: return "VCPU_SET_MP_STATE";
	case SV_HC_VCPU_GET_MP_STATE: return "VCPU_GET_MP_STATE";
	case SV_HC_VM_SET_MEMORY_ATTRIBUTES: return "VM_SET_MEMORY_ATTRIBUTES";
	case SV_HC_VM_SET_SHARED_MEMORY: return "VM_SET_SHARED_MEMORY";
	case SV_HC_ATTEST_PUBLIC_KEY: return "ATTEST_PUBLIC_KEY";
	case SV_HC_GUEST_GET_REPORT: return "GUEST_GET_REPORT";
	case SV_HC_GUEST_EXTEND: return "GUEST_EXTEND";
	default: return NULL;
	}
}

/* Arguments that would make the call succeed (or at least do something
 * visible) in the control partition. Buffers are this guest's own memory:
 * the hypervisor must not even look at them. */
static char msg[] = "hypercall-rights: this line must not reach the console\n";
static struct sv_stats stats_buf;
static uint8_t page[4096] __attribute__((aligned(4096)));
static struct sv_vcpu_regs regs = { .rip = 0x100000, .rsp = 0x200000, .cr3 = 0x1000 };
static struct sv_run run_buf;

static void args_for(uint64_t nr, uint64_t a[5])
{
	a[0] = a[1] = a[2] = a[3] = a[4] = 0;
	switch (nr) {
	case SV_HC_CONSOLE_WRITE: a[0] = (uint64_t)msg; a[1] = sizeof(msg) - 1; break;
	case SV_HC_SYSTEM_SHUTDOWN: a[0] = 0; break;               /* "all passed" */
	case SV_HC_STATS: a[0] = (uint64_t)&stats_buf; break;
	case SV_HC_MEMOBJ_CREATE: a[0] = MEMOBJ_ALLOW_SEALING; break;
	case SV_HC_MEMOBJ_SET_SIZE: a[1] = 4096; break;
	case SV_HC_MEMOBJ_ADD_SEALS: a[1] = MEMOBJ_SEAL_GUEST; break;
	case SV_HC_MEMOBJ_READ:
	case SV_HC_MEMOBJ_WRITE: a[2] = (uint64_t)page; a[3] = 64; break;
	case SV_HC_MEMOBJ_MAP: a[2] = 256UL << 20; a[3] = 4096; a[4] = 1; break;
	case SV_HC_MEMOBJ_UNMAP: a[0] = 256UL << 20; break;
	case SV_HC_MEMOBJ_FALLOCATE: a[3] = 4096; break;
	case SV_HC_VM_DESTROY:
	case SV_HC_VM_FINALIZE: a[0] = 1; break;
	case SV_HC_VM_SET_REGION: a[0] = 1; a[1] = 1UL << 30; a[2] = 4096; break;
	case SV_HC_VM_POPULATE: a[0] = 1; a[1] = 0x100000; a[2] = (uint64_t)page; a[3] = 4096; break;
	case SV_HC_VM_GET_MEASUREMENT: a[0] = 1; a[1] = (uint64_t)page; break;
	case SV_HC_VCPU_CREATE: a[0] = 1; a[1] = 7; a[2] = (uint64_t)&regs; break;
	case SV_HC_VCPU_RUN: a[0] = 1; a[1] = 0; a[2] = (uint64_t)&run_buf; break;
	case SV_HC_CONTROL_VCPU_START: a[0] = 1; a[1] = 0x100000; a[2] = 0x200000; break;
	case SV_HC_CONTROL_VCPU_WAKE: a[0] = 1; break;
	case SV_HC_VCPU_GET_REGS:
	case SV_HC_VCPU_SET_REGS:
	case SV_HC_VCPU_GET_SREGS:
	case SV_HC_VCPU_SET_SREGS: a[0] = 1; a[1] = 0; a[2] = (uint64_t)page; break;
	case SV_HC_VM_SET_CPUID: a[0] = 1; a[1] = (uint64_t)page; a[2] = 0; break;
	case SV_HC_VM_SET_MSR_POLICY: a[0] = 1; a[1] = SV_MSR_POLICY_EXIT; break;
	case SV_HC_VCPU_INTERRUPT: a[0] = 1; a[1] = 0; a[2] = 0x40; break;
	case SV_HC_VCPU_NMI: a[0] = 1; a[1] = 0; break;
	case SV_HC_VCPU_SET_MP_STATE: a[0] = 1; a[1] = 0; a[2] = SV_MP_STATE_WAIT_SIPI; break;
	case SV_HC_VCPU_GET_MP_STATE: a[0] = 1; a[1] = 0; break;
	case SV_HC_VM_SET_MEMORY_ATTRIBUTES: a[0] = 1; a[1] = 0x100000; a[2] = 4096; a[3] = 1; break;
	case SV_HC_VM_SET_SHARED_MEMORY: a[0] = 1; break;
	case SV_HC_ATTEST_PUBLIC_KEY: a[0] = (uint64_t)page; break;
	case SV_HC_GUEST_GET_REPORT: a[0] = a[1] = (uint64_t)page; a[2] = sizeof(page); break;
	case SV_HC_GUEST_EXTEND: a[0] = 0; a[1] = (uint64_t)page; break;
	}
}

static void check(uint64_t nr)
{
	uint64_t a[5];
	const char *n = name(nr);

	args_for(nr, a);
	int64_t r = sv_call(nr, a[0], a[1], a[2], a[3], a[4]);
	bool ok;
	const char *want;
	if (nr == SV_HC_CONSOLE_WRITE)
		ok = r == (int64_t)a[1] || r == -EFAULT, want = "its length or EFAULT";
	else if (nr == SV_HC_STATS)
		ok = r == 0 || r == -EFAULT, want = "0 or EFAULT";
	else if (nr == SV_HC_GUEST_ACCEPT || nr == SV_HC_GUEST_MAP_GPA)
		ok = r == -EINVAL, want = "EINVAL", n = "a guest's own memory call";
	else if (nr == SV_HC_GUEST_VE_INFO)
		ok = r == -ENOENT, want = "ENOENT", n = "GUEST_VE_INFO";
	else if (nr == SV_HC_GUEST_GET_REPORT)   /* a guest's own: allowed */
		ok = r == SV_REPORT_SIZE || r == -ENODEV, want = "SV_REPORT_SIZE or ENODEV";
	else if (nr == SV_HC_GUEST_EXTEND)
		ok = r == 0, want = "0";
	else if (n)
		ok = r == -EPERM, want = "EPERM";
	else
		ok = r == -ENOSYS, want = "ENOSYS";
	checked++;
	if (!ok) {
		failures++;
		kprintf("FAIL hypercall %lu (%s): got %ld (%s), expected %s\n", nr, n ? n : "undefined",
			r, sv_strerror(r), want);
	}
}

__attribute__((section(".text.start"))) void _start(void)
{
	sv_detect_vendor();
	kprintf("hypercall-rights: calling hypercalls 0..%u from a guest\n", SV_HC_GUEST_BASE - 1);
	/* SYSTEM_SHUTDOWN first: if it worked, nothing below would print. */
	check(SV_HC_SYSTEM_SHUTDOWN);
	for (uint64_t nr = 0; nr < SV_HC_GUEST_BASE; nr++)
		if (nr != SV_HC_SYSTEM_SHUTDOWN)
			check(nr);
	kprintf("hypercall-rights: %u hypercalls checked, %u failed\n", checked, failures);
	kprintf(failures ? "FAIL\n" : "PASS\n");
	kexit(failures ? 1 : 0);
}
