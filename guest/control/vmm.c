/*
 * The control partition: a small, untrusted VMM. For every guest image it
 * was given it creates a GUEST-sealed memory object, binds it, populates
 * the image and the guest's page tables, creates the vCPUs, finalizes (all
 * of that is measured), runs the vCPUs while emulating COM1 output and the
 * 0xf4 exit port, serves the guest's punch-hole requests, and reports. Then
 * it shuts the machine down with the overall result. The launch layout is
 * guest/control/layout.h, shared with the verifier tests/tools/sv-measure.
 *
 * It has one vCPU per physical CPU. vCPU 0 runs the show and guest vCPU 0;
 * guest vCPU k runs on control vCPU k, which waits for such a job.
 */
#include <sealvisor/elf64.h>
#include "guest/control/layout.h"
#include "guest/lib/kernel.h"
#include "guest/lib/sv.h"
#include "guest/lib/xmm.h"

#define PUNCH_MODE (MEMOBJ_FALLOC_PUNCH_HOLE | MEMOBJ_FALLOC_KEEP_SIZE)
#define MAX_EXITS 2000000
#define MAX_PREEMPTIONS 200     /* about 20 s of guest time without an exit */
#define EXPECTED_PREEMPTIONS 3
/* The VMM's own XMM0-15 pattern (guest/lib/xmm.h). */
#define XMM_SEED 0xc0de0000c0de0000UL

#define STACK_SIZE (64 * 1024)

struct guest {
	char name[32];
	int64_t obj, vm;
	unsigned nr_vcpus;
	char line[SV_MAX_VCPUS][160];
	unsigned col[SV_MAX_VCPUS];
	volatile bool done, failed;
	bool expect_preempt;
	unsigned preemptions, punches;
	int status;
	char why[96];
	uint8_t measurement[SV_MEASUREMENT_SIZE];
	uint64_t mmio_regs[TEST_MMIO_REGS];   /* layout.h's test device */
};

enum { JOB_IDLE, JOB_READY, JOB_DONE };

/* Work for control vCPU k: run vCPU `vcpu` of guest g until it is done. */
struct job {
	volatile int state;
	struct guest *g;
	unsigned vcpu;
};

static struct sv_boot_params *bp;
static uint64_t scratch;              /* free control-partition memory */
static struct job jobs[SV_MAX_VCPUS];
static volatile unsigned secondaries_up;
/* Control vCPUs this VMM uses: one per CPU, at most SV_MAX_VCPUS (the
 * most vCPUs a guest can have, so more would never get a job). */
static unsigned vmm_cpus;

enum result { PASSED, FAILED, SKIPPED };

/* err: the hypercall result that failed, or 0 when no call failed (then
 * the reason says it all: never "(ok)"). */
static void fail(struct guest *g, const char *why, int64_t err)
{
	if (__atomic_exchange_n(&g->failed, true, __ATOMIC_SEQ_CST))
		;
	else if (err)
		sv_snprintf(g->why, sizeof(g->why), "%s (%s %ld)", why, sv_strerror(err), err);
	else
		sv_snprintf(g->why, sizeof(g->why), "%s", why);
	g->done = true;
}

static void set_name(struct guest *g, const char *path)
{
	const char *base = path;
	for (const char *p = path; *p; p++)
		if (*p == '/')
			base = p + 1;
	size_t n = 0;
	while (base[n] && base[n] != '.' && n < sizeof(g->name) - 1) {
		g->name[n] = base[n];
		n++;
	}
	g->name[n] = 0;
}

static uint64_t vm_pages(int64_t vm)
{
	struct sv_stats st;
	return sv_call2(SV_HC_STATS, (uint64_t)&st, (uint64_t)vm) ? ~0UL : st.vm_memobj_pages;
}

/* Page tables for the guest (layout.h), built in free memory above the
 * secondaries' stacks. */
static void *guest_page_tables(void)
{
	uint64_t *pt = (uint64_t *)scratch;

	layout_page_tables(pt, PT_GPA);
	return pt;
}

static int64_t load(struct guest *g, const struct sv_module *m, uint64_t *entry)
{
	const void *img = (const void *)m->gpa;
	int64_t r = elf64_check(img, m->size);
	if (r)
		return r;
	const struct elf64_phdr *ph = elf64_phdrs(img);
	for (unsigned i = 0; i < ((const struct elf64_ehdr *)img)->phnum && !r; i++)
		if (ph[i].type == ELF_PT_LOAD && ph[i].filesz)
			r = sv_call4(SV_HC_VM_POPULATE, g->vm, ph[i].paddr,
				     (uint64_t)img + ph[i].offset, ph[i].filesz);
	if (!r)
		r = sv_call4(SV_HC_VM_POPULATE, g->vm, PT_GPA, (uint64_t)guest_page_tables(), PT_SIZE);
	*entry = ((const struct elf64_ehdr *)img)->entry;
	return r;
}

/* A 32- or 16-bit start (the image's start-mode note): the whole state
 * from layout.h, then read back: GET must return exactly what was set. */
static int64_t set_start_state(struct guest *g, unsigned i, uint64_t entry, uint32_t mode)
{
	static struct sv_regs regs, back;
	static struct sv_sregs sregs, sback;
	int64_t r;

	layout_vcpu_state(entry, i, GUEST_MEM, mode, &regs, &sregs);
	if ((r = sv_call3(SV_HC_VCPU_SET_SREGS, g->vm, i, (uint64_t)&sregs)) ||
	    (r = sv_call3(SV_HC_VCPU_SET_REGS, g->vm, i, (uint64_t)&regs)) ||
	    (r = sv_call3(SV_HC_VCPU_GET_REGS, g->vm, i, (uint64_t)&back)) ||
	    (r = sv_call3(SV_HC_VCPU_GET_SREGS, g->vm, i, (uint64_t)&sback)))
		return r;
	if (memcmp(&regs, &back, sizeof(regs)) || memcmp(&sregs, &sback, sizeof(sregs))) {
		sv_printf("[vmm] %s: vCPU %u: GET_(S)REGS differ from what was set\n", g->name, i);
		return -EIO;
	}
	sv_printf("[vmm] %s: vCPU %u starts in %u-bit mode\n", g->name, i, mode);
	return 0;
}

/* The image's CPUID note, if any, as the VM's CPUID table. */
static int64_t set_cpuid(struct guest *g, const struct sv_module *m)
{
	uint32_t len;
	const void *t = elf64_note((const void *)m->gpa, m->size, SV_NOTE_CPUID, &len);

	if (!t)
		return 0;
	if (len % sizeof(struct sv_cpuid_entry))
		return -EINVAL;
	sv_printf("[vmm] %s: sets a CPUID table of %u entries\n", g->name,
		  len / (unsigned)sizeof(struct sv_cpuid_entry));
	return sv_call3(SV_HC_VM_SET_CPUID, g->vm, (uint64_t)t, len / sizeof(struct sv_cpuid_entry));
}

/* The vCPUs are part of the launch: the hypervisor takes them only before
 * VM_FINALIZE and measures their initial registers. */
static int64_t create_vcpus(struct guest *g, const struct sv_module *m, uint64_t entry)
{
	uint32_t mode = elf64_start_mode((const void *)m->gpa, m->size);
	int64_t r = 0;

	if (mode != SV_START_64 && mode != SV_START_32 && mode != SV_START_16) {
		sv_printf("[vmm] %s: start mode %u: this VMM starts 64, 32 or 16\n", g->name, mode);
		return -EINVAL;
	}

	g->nr_vcpus = elf64_vcpus((const void *)m->gpa, m->size);
	if (g->nr_vcpus > vmm_cpus) {
		sv_printf("[vmm] %s: wants %u vCPUs, this VMM runs %u\n", g->name, g->nr_vcpus,
			  vmm_cpus);
		return -EINVAL;
	}
	for (unsigned i = 0; i < g->nr_vcpus && !r; i++) {
		struct sv_vcpu_regs regs = layout_vcpu_regs(entry, i, GUEST_MEM, PT_GPA);
		r = sv_call3(SV_HC_VCPU_CREATE, g->vm, i, (uint64_t)&regs);
		if (!r && mode != SV_START_64)
			r = set_start_state(g, i, entry, mode);
	}
	return r;
}

/* The image's MSR policy note (layout.h): GP, the default, needs no call. */
static int64_t set_msr_policy(struct guest *g, const struct sv_module *m)
{
	uint32_t policy = elf64_note_u32((const void *)m->gpa, m->size, SV_NOTE_MSR_POLICY,
					 SV_MSR_POLICY_GP);

	return policy == SV_MSR_POLICY_GP ? 0 : sv_call2(SV_HC_VM_SET_MSR_POLICY, g->vm, policy);
}

static int64_t create(struct guest *g, const struct sv_module *m)
{
	uint64_t entry = 0;
	int64_t r;

	if ((g->obj = sv_call1(SV_HC_MEMOBJ_CREATE, MEMOBJ_ALLOW_SEALING)) < 0)
		return g->obj;
	if ((r = sv_call2(SV_HC_MEMOBJ_ADD_SEALS, g->obj, GUEST_SEALS)) ||
	    (r = sv_call2(SV_HC_MEMOBJ_SET_SIZE, g->obj, GUEST_MEM)) ||
	    (r = sv_call4(SV_HC_MEMOBJ_FALLOCATE, g->obj, 0, GUEST_EXTENTS, GUEST_MEM - GUEST_EXTENTS)))
		return r;
	if ((g->vm = sv_call0(SV_HC_VM_CREATE)) < 0)
		return g->vm;
	if ((r = sv_call5(SV_HC_VM_SET_REGION, g->vm, GUEST_REGION_GPA, GUEST_MEM, g->obj,
			  GUEST_REGION_OFFSET)) ||
	    (r = load(g, m, &entry)) || (r = set_cpuid(g, m)) || (r = create_vcpus(g, m, entry)) ||
	    (r = set_msr_policy(g, m)) || (r = sv_call1(SV_HC_VM_FINALIZE, g->vm)))
		return r;
	return sv_call2(SV_HC_VM_GET_MEASUREMENT, g->vm, (uint64_t)g->measurement);
}

/* COM1 output, a line at a time, tagged with the guest (and vCPU). */
static void serial_out(struct guest *g, unsigned vcpu, char c)
{
	char *line = g->line[vcpu];
	unsigned *col = &g->col[vcpu];

	if (c != '\n' && *col < sizeof(g->line[0]) - 1) {
		line[(*col)++] = c;
		return;
	}
	line[*col] = 0;
	if (vcpu)
		sv_printf("[%s/%u] %s\n", g->name, vcpu, line);
	else
		sv_printf("[%s] %s\n", g->name, line);
	*col = 0;
	if (c != '\n')
		line[(*col)++] = c;
}

static void io(struct guest *g, unsigned vcpu, struct sv_run *run)
{
	if (!run->io.is_write) {
		run->io.data = run->io.port == 0x3fd ? 0x60 : 0xffffffff;   /* LSR: ready */
		return;
	}
	if (run->io.port == 0x3f8)
		serial_out(g, vcpu, (char)run->io.data);
	else if (run->io.port == 0xf4) {
		g->status = (int)run->io.data;
		g->done = true;
		if (g->status) {
			char why[64];
			sv_snprintf(why, sizeof(why), "guest reported failure: status %d",
				    g->status);
			fail(g, why, 0);
		}
	}
}

/* A guest asks for part of its own memory to be punched out; the pages
 * must come back to the allocator before the call returns. */
static void punch(struct guest *g, struct sv_run *run)
{
	uint64_t gpa = run->hypercall.args[0], len = run->hypercall.args[1];
	uint64_t before = vm_pages(g->vm);
	int64_t r = sv_call4(SV_HC_MEMOBJ_FALLOCATE, g->obj, PUNCH_MODE, gpa, len);
	uint64_t after = vm_pages(g->vm);

	if (++g->punches <= 3)
		sv_printf("[vmm] %s: punched [0x%lx, +0x%lx): %s, object pages %lu -> %lu%s\n",
			  g->name, gpa, len, sv_strerror(r), before, after,
			  g->punches == 3 ? " (further punches not shown)" : "");
	/* Test kernels write every page of a hole first, so all of them must
	 * go; other vCPUs may fault some back in at once, never more. */
	if (r == 0 && (g->nr_vcpus == 1 ? before - after != len / 4096
					 : before < after || before - after > len / 4096))
		fail(g, "punch did not return exactly the punched pages", 0);
	run->hypercall.ret = r;
}

/*
 * SV_EXIT_MSR (guests with SV_MSR_POLICY_EXIT, tests/guests/msr-exit.c):
 * a read of MSR i gets 0x5ea1 << 48 | i, 0x1235 is refused (#GP), a write
 * of 0x1234 must carry 0x0123456789abcdef. MSRs on the hypervisor's allow
 * list must never come here.
 */
static void msr_exit(struct guest *g, struct sv_run *run)
{
	uint32_t i = run->msr.index;

	if ((i >= 0xc0000080 && i <= 0xc0000084) || (i >= 0xc0000100 && i <= 0xc0000103) ||
	    (i >= 0x174 && i <= 0x176) || i == 0x277 || i == 0x48)
		return fail(g, "an allowed MSR reached the VMM", 0);
	if (i == 0x1235) {
		run->msr.error = 1;
		return;
	}
	run->msr.error = 0;
	if (!run->msr.is_write)
		run->msr.value = 0x5ea1UL << 48 | i;
	else if (i != 0x1234 || run->msr.value != 0x0123456789abcdefUL)
		fail(g, "SV_EXIT_MSR write with the wrong index or value", 0);
}

/* layout.h's test MMIO device, from decoded exits only (size 0: the
 * hypervisor could not decode the access, the guest fails as before). */
static void mmio_exit(struct guest *g, struct sv_run *run)
{
	uint64_t off = run->mmio.gpa - TEST_MMIO_GPA;
	uint64_t mask = run->mmio.size >= 8 ? ~0UL : (1UL << (8 * run->mmio.size)) - 1;
	bool reg = off < TEST_MMIO_REGS * 8 && !(off & 7);

	if (run->mmio.gpa < TEST_MMIO_GPA || off >= 4096 || !run->mmio.size) {
		sv_printf("[vmm] %s: access to unbacked gpa 0x%lx\n", g->name, run->mmio.gpa);
		return fail(g, "unbacked memory access", 0);
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

static void own_state_init(void)
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

static void check_own_state(struct guest *g)
{
	uint64_t mark, via_kgs, dr0;

	__asm__ volatile("xor %%eax, %%eax; syscall" : "=a"(mark) : : "rcx", "r11", "memory", "cc");
	__asm__ volatile("swapgs; mov %%gs:0, %0; swapgs" : "=r"(via_kgs));
	__asm__ volatile("mov %%dr0, %0" : "=r"(dr0));
	if (mark != SYSCALL_MARK)
		fail(g, "the control partition's SYSCALL went elsewhere: LSTAR not its own", 0);
	else if (via_kgs != kgs_magic)
		fail(g, "the control partition's KERNEL_GS_BASE is not its own", 0);
	else if (dr0 != OWN_DR0)
		fail(g, "the control partition's DR0 is not its own", 0);
}

/* Runs one guest vCPU until the guest is done (any vCPU may end it), or
 * until a secondary vCPU halts (its work is over). */
static void handoff(struct guest *g, struct sv_run *run);
static enum result launch(const struct sv_module *m, struct guest *g);

static bool migrate(struct guest *g, unsigned vcpu, struct sv_run *run);

static void run_vcpu(struct guest *g, unsigned vcpu)
{
	struct sv_run run;
	uint64_t window_vector = 0;      /* raised when the window opens */

	memset(&run, 0, sizeof(run));
	for (unsigned n = 0; !g->done && n < MAX_EXITS; n++) {
		int64_t r = sv_call3(SV_HC_VCPU_RUN, g->vm, vcpu, (uint64_t)&run);
		if (r)
			return fail(g, "VCPU_RUN failed", r);
		/* Issue 11: the guest ran on this CPU with its own vector state;
		 * ours must come back whole (and so not be the guest's). */
		if (fx_check(XMM_SEED) != 0)
			return fail(g, "the VMM's XMM registers changed across VCPU_RUN", 0);
		if (run.exit_reason != SV_EXIT_IO || run.io.port != 0x3f8)
			check_own_state(g);     /* not after every character: Bochs is slow */
		switch (run.exit_reason) {
		case SV_EXIT_IO:
			io(g, vcpu, &run);
			break;
		case SV_EXIT_HYPERCALL:
			if (run.hypercall.nr == SV_GUEST_PUNCH)
				punch(g, &run);
			else if (run.hypercall.nr == SV_GUEST_STATS)
				run.hypercall.ret = (int64_t)vm_pages(g->vm);
			else if (run.hypercall.nr == SV_GUEST_EXPECT_PREEMPT)
				g->expect_preempt = true, run.hypercall.ret = 0;
			else if (run.hypercall.nr == SV_GUEST_PREEMPTIONS)
				run.hypercall.ret = g->preemptions;
			else if (run.hypercall.nr == SV_GUEST_MIGRATE && migrate(g, vcpu, &run))
				return;         /* control vCPU 1 ran it to the end */
			else if (run.hypercall.nr == SV_GUEST_HANDOFF)
				handoff(g, &run);
			else if (run.hypercall.nr == SV_GUEST_INTERRUPT)
				run.hypercall.ret = sv_call3(SV_HC_VCPU_INTERRUPT, g->vm, vcpu,
							     run.hypercall.args[0]);
			else if (run.hypercall.nr == SV_GUEST_IRQ_WINDOW) {
				window_vector = run.hypercall.args[0];
				run.request_irq_window = 1;
				run.hypercall.ret = 0;
			}
			break;
		case SV_EXIT_IRQ_WINDOW:
			if (!run.request_irq_window)
				return fail(g, "interrupt window exit not asked for", 0);
			run.request_irq_window = 0;
			r = sv_call3(SV_HC_VCPU_INTERRUPT, g->vm, vcpu, window_vector);
			if (r)
				return fail(g, "VCPU_INTERRUPT at the window failed", r);
			break;
		case SV_EXIT_MSR:
			msr_exit(g, &run);
			break;
		case SV_EXIT_PREEMPT:
			if (vcpu)
				break;          /* a slice for vCPU 0's clock only */
			g->preemptions++;
			if (g->expect_preempt && g->preemptions == EXPECTED_PREEMPTIONS) {
				sv_printf("[vmm] %s: preempted %u times without exiting: stopped\n",
					  g->name, g->preemptions);
				g->done = true;
			} else if (g->preemptions == MAX_PREEMPTIONS) {
				return fail(g, "time limit: too many preemptions", 0);
			}
			break;
		case SV_EXIT_MMIO:
			mmio_exit(g, &run);
			if (g->failed)
				return;
			break;
		case SV_EXIT_SHUTDOWN:
			sv_printf("[vmm] %s: shutdown at rip 0x%lx (code 0x%lx)\n", g->name,
				  run.shutdown.rip, run.shutdown.code);
			return fail(g, "guest shut down (triple fault)", 0);
		case SV_EXIT_HLT:
			if (vcpu)
				return;
			return fail(g, "guest halted without a result", 0);
		default:
			return fail(g, "unknown exit", 0);
		}
	}
	if (!g->done)
		fail(g, "no result after too many exits", 0);
}

static void run_guest(struct guest *g)
{
	for (unsigned k = 1; k < g->nr_vcpus; k++) {
		jobs[k].g = g;
		jobs[k].vcpu = k;
		__atomic_store_n(&jobs[k].state, JOB_READY, __ATOMIC_RELEASE);
		sv_call1(SV_HC_CONTROL_VCPU_WAKE, k);
	}
	run_vcpu(g, 0);
	g->done = true;                  /* the others stop at their next exit */
	for (unsigned k = 1; k < g->nr_vcpus; k++) {
		while (__atomic_load_n(&jobs[k].state, __ATOMIC_ACQUIRE) != JOB_DONE)
			__asm__ volatile("pause");
		jobs[k].state = JOB_IDLE;
	}
}

/* SV_GUEST_MIGRATE: the rest of a one-vCPU guest runs from control vCPU 1,
 * on another CPU, so its vCPU state (vector registers included) must move
 * with it. Its answer, 0, is the fresh sv_run's (zeroed) hypercall.ret. */
static bool migrate(struct guest *g, unsigned vcpu, struct sv_run *run)
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

/* Control vCPUs 1..n-1 start here (CONTROL_VCPU_START, RDI = n). */
static void secondary(uint64_t cpu)
{
	fx_fill(XMM_SEED);
	own_state_init();
	__atomic_add_fetch(&secondaries_up, 1, __ATOMIC_SEQ_CST);
	for (;;) {
		/* HLT: the hypervisor lets the CPU sleep until vCPU 0 wakes us. */
		while (__atomic_load_n(&jobs[cpu].state, __ATOMIC_ACQUIRE) != JOB_READY)
			__asm__ volatile("hlt");
		sv_printf("[vmm] control vCPU %lu runs %s vCPU %u\n", cpu, jobs[cpu].g->name,
			  jobs[cpu].vcpu);
		run_vcpu(jobs[cpu].g, jobs[cpu].vcpu);
		__atomic_store_n(&jobs[cpu].state, JOB_DONE, __ATOMIC_RELEASE);
	}
}

static void start_secondaries(void)
{
	vmm_cpus = bp->nr_cpus < SV_MAX_VCPUS ? bp->nr_cpus : SV_MAX_VCPUS;
	if (vmm_cpus < bp->nr_cpus)
		sv_printf("[vmm] the machine has %u CPUs; this VMM uses the first %u (SV_MAX_VCPUS, "
			  "the most vCPUs a guest can have): the others stay idle\n", bp->nr_cpus,
			  vmm_cpus);
	for (unsigned cpu = 1; cpu < vmm_cpus; cpu++) {
		uint64_t stack = scratch;
		scratch += STACK_SIZE;
		int64_t r = sv_call3(SV_HC_CONTROL_VCPU_START, cpu, (uint64_t)secondary,
				     stack + STACK_SIZE - 8);
		if (r)
			sv_printf("[vmm] control vCPU %u did not start: %s (%ld)\n", cpu,
				  sv_strerror(r), r);
	}
	while (secondaries_up + 1 < vmm_cpus)
		__asm__ volatile("pause");
	sv_printf("sealvisor demo VMM: %u vCPUs running\n", secondaries_up + 1);
}

static void hex(const uint8_t *d, char *out)
{
	for (int i = 0; i < SV_MEASUREMENT_SIZE; i++)
		sv_snprintf(out + 2 * i, 3, "%02x", d[i]);
}

/* A kernel that wants more vCPUs than there are CPUs (e.g. SMP=1) cannot
 * test what it is for: it is skipped, not failed. More than SV_MAX_VCPUS
 * is a broken image, which fails in create_vcpus. */
static bool skip(struct guest *g, const struct sv_module *m)
{
	if (elf64_check((const void *)m->gpa, m->size))
		return false;          /* not an image: create() fails it with the errno */
	unsigned want = elf64_vcpus((const void *)m->gpa, m->size);

	if (want <= vmm_cpus || want > SV_MAX_VCPUS)
		return false;
	sv_printf("summary: %s SKIP reason: needs %u vCPUs, the machine runs %u\n", g->name,
		  want, vmm_cpus);
	return true;
}

static enum result launch(const struct sv_module *m, struct guest *g)
{
	char digest[2 * SV_MEASUREMENT_SIZE + 1];
	int64_t r;

	memset(g, 0, sizeof(*g));
	g->obj = g->vm = -1;
	set_name(g, m->name);
	if (skip(g, m))
		return SKIPPED;
	r = create(g, m);
	if (r)
		fail(g, "set-up failed", r);
	hex(g->measurement, digest);
	if (!g->failed) {
		sv_printf("[vmm] %s: measurement %s\n", g->name, digest);
		run_guest(g);
	}
	if (g->vm >= 0 && (r = sv_call1(SV_HC_VM_DESTROY, g->vm)))
		fail(g, "VM_DESTROY failed", r);
	if (g->obj >= 0 && (r = sv_call1(SV_HC_MEMOBJ_CLOSE, g->obj)))
		fail(g, "MEMOBJ_CLOSE failed", r);
	sv_printf("summary: %s %s measurement=%s%s%s\n", g->name, g->failed ? "FAIL" : "PASS",
		  digest, g->failed ? " reason: " : "", g->failed ? g->why : "");
	return g->failed ? FAILED : PASSED;
}

/* The most guest memory alive at once: one guest, or two while stale-tlb
 * hands off to the marker helper; GUEST_MEM each (a kernel may touch all
 * of it), plus room for their stage-2 tables and the hypervisor's heap. */
#define GUEST_SLACK (8UL << 20)

static const struct sv_module *find_helper(void);

/* Too little RAM would fail guests one by one with ENOMEM far from the
 * cause: say how much is needed instead and stop with status 4 (the
 * machine, not the configuration or a test). */
static void check_memory(void)
{
	struct sv_stats st;
	unsigned at_once = find_helper() ? 2 : 1;
	uint64_t need = at_once * GUEST_MEM + GUEST_SLACK, have;

	if (!bp->nr_modules || sv_call2(SV_HC_STATS, (uint64_t)&st, 0))
		return;
	have = st.free_pages * 4096;
	if (have >= need)
		return;
	sv_printf("[vmm] not enough memory: its guests need %lu MiB free at once, the hypervisor "
		  "has %lu MiB free: give the machine at least %lu MiB more RAM\n", need >> 20,
		  have >> 20, (need - have + (1UL << 20) - 1) >> 20);
	sv_shutdown(4);
}

/* Images named "marker" are helpers, run only on a guest's HANDOFF. */
static const struct sv_module *find_helper(void)
{
	for (unsigned i = 0; i < bp->nr_modules; i++) {
		struct guest probe;
		set_name(&probe, bp->modules[i].name);
		if (!strcmp(probe.name, "marker"))
			return &bp->modules[i];
	}
	return NULL;
}

/* Punch the caller's range, then run the marker guest to completion while
 * the caller's other vCPUs go on running on the other CPUs: they must
 * never see the marker through a translation the punch removed. */
static void handoff(struct guest *g, struct sv_run *run)
{
	static struct guest helper;
	const struct sv_module *m = find_helper();

	punch(g, run);
	if (run->hypercall.ret)
		return;
	if (!m) {
		run->hypercall.ret = -ENOENT;
		return fail(g, "HANDOFF without a marker image", 0);
	}
	run->hypercall.ret = launch(m, &helper) == PASSED ? 0 : -EIO;
}

__attribute__((section(".text.start"))) void _start(struct sv_boot_params *params)
{
	static struct guest g;
	struct sv_stats st;
	unsigned count[3] = { 0, 0, 0 };   /* by enum result */

	bp = params;
	sv_control_init(bp, "sealvisor demo VMM");
	scratch = (bp->free_start + 4095) & ~4095UL;
	fx_fill(XMM_SEED);   /* checked after every VCPU_RUN */
	sv_printf("sealvisor demo VMM: ABI %u.%u, %u guest image(s), %lu MiB of memory, %u CPUs\n",
		  sv_abi_version() >> 16, sv_abi_version() & 0xffff, bp->nr_modules,
		  bp->mem_size >> 20, bp->nr_cpus);
	check_memory();
	own_state_init();
	start_secondaries();
	for (unsigned i = 0; i < bp->nr_modules; i++)
		if (&bp->modules[i] != find_helper())
			count[launch(&bp->modules[i], &g)]++;
	if (sv_call2(SV_HC_STATS, (uint64_t)&st, 0) == 0 && (st.memobj_pages || st.vms != 1)) {
		sv_printf("summary: leak: %lu object pages and %lu VMs left after every guest ended\n",
			  st.memobj_pages, st.vms - 1);
		count[FAILED]++;
	}
	sv_printf("summary: %u passed, %u failed, %u skipped\n", count[PASSED], count[FAILED],
		  count[SKIPPED]);
	sv_shutdown(count[FAILED] ? 1 : 0);
}
