/* The VMM's start-up and the launch of each guest (guest/vmm/vmm.h). */
#include "guest/vmm/vmm.h"

struct sv_boot_params *bp;
uint64_t scratch;              /* free control-partition memory */
struct job jobs[SV_MAX_VCPUS];
static volatile unsigned secondaries_up;
unsigned vmm_cpus;

/* err: the hypercall result that failed, or 0 when no call failed (then
 * the reason says it all: never "(ok)"). */
void guest_fail(struct guest *g, const char *why, int64_t err)
{
	if (__atomic_exchange_n(&g->failed, true, __ATOMIC_SEQ_CST))
		;
	else if (err)
		sv_snprintf(g->why, sizeof(g->why), "%s (%s %ld)", why, sv_strerror(err), err);
	else
		sv_snprintf(g->why, sizeof(g->why), "%s", why);
	g->done = true;
}

void guest_set_name(struct guest *g, const char *path)
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

uint64_t guest_vm_pages(int64_t vm)
{
	struct sv_stats st;
	return sv_call2(SV_HC_STATS, (uint64_t)&st, (uint64_t)vm) ? ~0UL : st.vm_memobj_pages;
}

/* The module of that exact name, or NULL. */
const struct sv_module *vmm_find_module(const char *name)
{
	for (unsigned i = 0; i < bp->nr_modules; i++)
		if (!strcmp(bp->modules[i].name, name))
			return &bp->modules[i];
	return NULL;
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
		return false;          /* not an image: elf_guest_create() fails it with the errno */
	unsigned want = elf64_vcpus((const void *)m->gpa, m->size);

	if (want <= vmm_cpus || want > SV_MAX_VCPUS)
		return false;
	sv_printf("summary: %s SKIP reason: needs %u vCPUs, the machine runs %u\n", g->name,
		  want, vmm_cpus);
	return true;
}

enum result guest_launch(const struct sv_module *m, struct guest *g)
{
	char digest[2 * SV_MEASUREMENT_SIZE + 1];
	int64_t r;

	memset(g, 0, sizeof(*g));
	g->obj = g->vm = g->shared_obj = -1;
	guest_set_name(g, m->name);
	if (skip(g, m))
		return SKIPPED;
	/* A Multiboot header wins over ELF64 (our own kernels have none):
	 * such an image is started as QEMU's -kernel starts it. */
	r = qemu_guest_wanted(m) ? qemu_guest_create(g, m) : elf_guest_create(g, m);
	if (r)
		guest_fail(g, "set-up failed", r);
	hex(g->measurement, digest);
	if (!g->failed) {
		sv_printf("[vmm] %s: measurement %s\n", g->name, digest);
		run_guest(g);
	}
	if (g->vm >= 0 && (r = sv_call1(SV_HC_VM_DESTROY, g->vm)))
		guest_fail(g, "VM_DESTROY failed", r);
	if (g->obj >= 0 && (r = sv_call1(SV_HC_MEMOBJ_CLOSE, g->obj)))
		guest_fail(g, "MEMOBJ_CLOSE failed", r);
	if (g->shared_obj >= 0 && (r = sv_call1(SV_HC_MEMOBJ_CLOSE, g->shared_obj)))
		guest_fail(g, "MEMOBJ_CLOSE of shared memory failed", r);
	sv_printf("summary: %s %s measurement=%s%s%s\n", g->name, g->failed ? "FAIL" : "PASS",
		  digest, g->failed ? " reason: " : "", g->failed ? g->why : "");
	return g->failed ? FAILED : PASSED;
}

/* The most guest memory alive at once: one guest, or two while stale-tlb
 * hands off to the marker helper; GUEST_MEM each (a kernel may touch all
 * of it), plus room for their stage-2 tables and the hypervisor's heap. */
#define GUEST_SLACK (8UL << 20)

/* Too little RAM would fail guests one by one with ENOMEM far from the
 * cause: say how much is needed instead and stop with status 4 (the
 * machine, not the configuration or a test). */
static void check_memory(void)
{
	struct sv_stats st;
	unsigned at_once = vmm_find_helper() ? 2 : 1;
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
const struct sv_module *vmm_find_helper(void)
{
	for (unsigned i = 0; i < bp->nr_modules; i++) {
		struct guest probe;
		guest_set_name(&probe, bp->modules[i].name);
		if (!strcmp(probe.name, "marker"))
			return &bp->modules[i];
	}
	return NULL;
}

/* The hypervisor's attestation key, for whoever collects this log: the
 * key guests' reports verify against (README "Attestation"). */
static void print_attestation_key(void)
{
	static uint8_t key[SV_ATTEST_PUBKEY_SIZE];
	char hex[2 * SV_ATTEST_PUBKEY_SIZE + 1];
	int64_t r = sv_call1(SV_HC_ATTEST_PUBLIC_KEY, (uint64_t)key);

	if (r) {
		sv_printf("attestation: no key (%s): guests get no reports\n", sv_strerror(r));
		return;
	}
	for (unsigned i = 0; i < SV_ATTEST_PUBKEY_SIZE; i++)
		sv_snprintf(&hex[2 * i], 3, "%02x", key[i]);
	sv_printf("attestation public key %s\n", hex);
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
	print_attestation_key();
	check_memory();
	own_state_init();
	start_secondaries();
	for (unsigned i = 0; i < bp->nr_modules; i++)
		if (bp->module_kind[i] == SV_MODULE_GUEST && &bp->modules[i] != vmm_find_helper())
			count[guest_launch(&bp->modules[i], &g)]++;
	if (sv_call2(SV_HC_STATS, (uint64_t)&st, 0) == 0 && (st.memobj_pages || st.vms != 1)) {
		sv_printf("summary: leak: %lu object pages and %lu VMs left after every guest ended\n",
			  st.memobj_pages, st.vms - 1);
		count[FAILED]++;
	}
	sv_printf("summary: %u passed, %u failed, %u skipped\n", count[PASSED], count[FAILED],
		  count[SKIPPED]);
	sv_shutdown(count[FAILED] ? 1 : 0);
}
