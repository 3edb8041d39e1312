/* What our test kernels ask of their VMM, and the VMM's checks of its own
 * state after every VCPU_RUN (guest/vmm/vmm.h). */
#include "guest/vmm/vmm.h"

#define PUNCH_MODE (MEMOBJ_FALLOC_PUNCH_HOLE | MEMOBJ_FALLOC_KEEP_SIZE)

/* A guest asks for part of its own memory to be punched out; the pages
 * must come back to the allocator before the call returns. */
void service_punch(struct guest *g, struct sv_run *run)
{
	uint64_t gpa = run->hypercall.args[0], len = run->hypercall.args[1];
	uint64_t before = guest_vm_pages(g->vm);
	int64_t r = sv_call4(SV_HC_MEMOBJ_FALLOCATE, g->obj, PUNCH_MODE, gpa, len);
	uint64_t after = guest_vm_pages(g->vm);

	if (++g->punches <= 3)
		sv_printf("[vmm] %s: punched [0x%lx, +0x%lx): %s, object pages %lu -> %lu%s\n",
			  g->name, gpa, len, sv_strerror(r), before, after,
			  g->punches == 3 ? " (further punches not shown)" : "");
	/* Test kernels write every page of a hole first, so all of them must
	 * go; other vCPUs may fault some back in at once, never more. */
	if (r == 0 && (g->nr_vcpus == 1 ? before - after != len / 4096
					 : before < after || before - after > len / 4096))
		guest_fail(g, "punch did not return exactly the punched pages", 0);
	run->hypercall.ret = r;
}

/*
 * SV_EXIT_MSR (guests with SV_MSR_POLICY_EXIT, tests/guests/msr-exit.c):
 * a read of MSR i gets 0x5ea1 << 48 | i, 0x1235 is refused (#GP), a write
 * of 0x1234 must carry 0x0123456789abcdef. MSRs on the hypervisor's allow
 * list must never come here.
 */
void service_msr_exit(struct guest *g, struct sv_run *run)
{
	uint32_t i = run->msr.index;

	if ((i >= 0xc0000080 && i <= 0xc0000084) || (i >= 0xc0000100 && i <= 0xc0000103) ||
	    (i >= 0x174 && i <= 0x176) || i == 0x277 || i == 0x48)
		return guest_fail(g, "an allowed MSR reached the VMM", 0);
	if (i == 0x1235) {
		run->msr.error = 1;
		return;
	}
	run->msr.error = 0;
	if (!run->msr.is_write)
		run->msr.value = 0x5ea1UL << 48 | i;
	else if (i != 0x1234 || run->msr.value != 0x0123456789abcdefUL)
		guest_fail(g, "SV_EXIT_MSR write with the wrong index or value", 0);
}

/* layout.h's test MMIO device, from decoded exits only (size 0: the
 * hypervisor could not decode the access, the guest fails as before). */
void service_mmio(struct guest *g, struct sv_run *run)
{
	uint64_t off = run->mmio.gpa - TEST_MMIO_GPA;
	uint64_t mask = run->mmio.size >= 8 ? ~0UL : (1UL << (8 * run->mmio.size)) - 1;
	bool reg = off < TEST_MMIO_REGS * 8 && !(off & 7);

	if (run->mmio.gpa < TEST_MMIO_GPA || off >= 4096 || !run->mmio.size) {
		sv_printf("[vmm] %s: access to unbacked gpa 0x%lx\n", g->name, run->mmio.gpa);
		return guest_fail(g, "unbacked memory access", 0);
	}
	if (run->mmio.is_write) {
		if (reg)
			g->mmio_regs[off / 8] = run->mmio.data & mask;
	} else {
		run->mmio.data = reg ? g->mmio_regs[off / 8] & mask : mask;
	}
}

/*
 * Each control vCPU's own SYSCALL target, KERNEL_GS_BASE and DR0, in the
 * hardware (not through RDMSR, which reads the hypervisor's copy): a
 * guest's values must never be what the control partition runs with
 * after VCPU_RUN (tests/guests/msrs.c sets its own).
 */
#define OWN_DR0 0x5ea1d0UL
#define SYSCALL_MARK 0x5ca11UL
static const uint64_t kgs_magic = 0x6b67735f6d616763UL;
void syscall_entry(void);
__asm__(".text; syscall_entry: mov $0x5ca11, %eax; push %r11; popfq; jmp *%rcx");

static void wrmsr_own(uint32_t index, uint64_t v)
{
	__asm__ volatile("wrmsr" : : "c"(index), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)));
}

void own_state_init(void)
{
	uint32_t lo, hi;

	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(0xc0000080u));
	wrmsr_own(0xc0000080, ((uint64_t)hi << 32 | lo) | 1);   /* EFER.SCE */
	wrmsr_own(0xc0000081, 0x0008UL << 32);                   /* STAR: CS 0x08, SS 0x10 */
	wrmsr_own(0xc0000082, (uint64_t)syscall_entry);          /* LSTAR */
	wrmsr_own(0xc0000084, 0);                                /* SFMASK */
	wrmsr_own(0xc0000102, (uint64_t)&kgs_magic);             /* KERNEL_GS_BASE */
	__asm__ volatile("mov %0, %%dr0" : : "r"(OWN_DR0));
}

void check_own_state(struct guest *g)
{
	uint64_t mark, via_kgs, dr0;

	__asm__ volatile("xor %%eax, %%eax; syscall" : "=a"(mark) : : "rcx", "r11", "memory", "cc");
	__asm__ volatile("swapgs; mov %%gs:0, %0; swapgs" : "=r"(via_kgs));
	__asm__ volatile("mov %%dr0, %0" : "=r"(dr0));
	if (mark != SYSCALL_MARK)
		guest_fail(g, "the control partition's SYSCALL went elsewhere: LSTAR not its own", 0);
	else if (via_kgs != kgs_magic)
		guest_fail(g, "the control partition's KERNEL_GS_BASE is not its own", 0);
	else if (dr0 != OWN_DR0)
		guest_fail(g, "the control partition's DR0 is not its own", 0);
}

/* SV_GUEST_MIGRATE: the rest of a one-vCPU guest runs from control vCPU 1,
 * on another CPU, so its vCPU state (vector registers included) must move
 * with it. Its answer, 0, is the fresh sv_run's (zeroed) hypercall.ret. */
bool service_migrate(struct guest *g, unsigned vcpu, struct sv_run *run)
{
	if (vcpu != 0 || g->nr_vcpus != 1 || vmm_cpus < 2) {
		run->hypercall.ret = -1;
		return false;
	}
	jobs[1].g = g;
	jobs[1].vcpu = 0;
	__atomic_store_n(&jobs[1].state, JOB_READY, __ATOMIC_RELEASE);
	sv_call1(SV_HC_CONTROL_VCPU_WAKE, 1);
	while (__atomic_load_n(&jobs[1].state, __ATOMIC_ACQUIRE) != JOB_DONE)
		__asm__ volatile("pause");
	jobs[1].state = JOB_IDLE;
	return true;
}

/* Punch the caller's range, then run the marker guest to completion while
 * the caller's other vCPUs go on running on the other CPUs: they must
 * never see the marker through a translation the punch removed. */
void service_handoff(struct guest *g, struct sv_run *run)
{
	static struct guest helper;
	const struct sv_module *m = vmm_find_helper();

	service_punch(g, run);
	if (run->hypercall.ret)
		return;
	if (!m) {
		run->hypercall.ret = -ENOENT;
		return guest_fail(g, "HANDOFF without a marker image", 0);
	}
	run->hypercall.ret = guest_launch(m, &helper) == PASSED ? 0 : -EIO;
}
