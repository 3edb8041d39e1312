/*
 * bench-guest: the in-guest micro-benchmark (make bench-guest, issue 14
 * item 6). Cycles (TSC, RDTSC is not intercepted) of one operation each,
 * timed from inside the guest, and each row's median as a ratio to the
 * median of an in-guest baseline loop timed in the same run: under an
 * emulator the cycles alone mean little, the counts and the ratios show
 * a change. A figure, never a check on time: the kernel fails only if an
 * operation did not do what its row claims (a wrong answer, an error, a
 * fault that allocated nothing, a punch that failed, a punch-smp row
 * during which vCPU 1 never ran).
 *
 * The rows, each timed by the same harness (measure()):
 *   baseline      BASELINE_ITERS turns of an empty loop: no exit
 *   hypercall     SV_HC_GUEST_VE_INFO: guest -> hypervisor -> guest, the
 *                 guest's own call answered on its vCPU (-ENOENT: no #VE)
 *   hc-dispatch   SV_HC_GUEST_EXTEND refused (-EINVAL) by its own argument
 *                 check inside hypercall_dispatch, under the global lock
 *   vmm-call      SV_GUEST_PREEMPTIONS: guest -> hypervisor -> VMM -> back
 *   cpuid         CPUID leaf 0: an exit the hypervisor handles itself
 *   pio           IN from BENCH_PORT (layout.h): an exit the VMM serves
 *                 (guest/vmm/bench_port.c), which answers with its count
 *                 of such reads, so a read it did not serve is seen
 *   fault-4k      first write to a page never touched: a 4 KiB stage-2
 *                 fault that allocates the page (the object must grow by
 *                 exactly one page per sample)
 *   fault-2m      first write to a fallocated 2 MiB extent: one 2 MiB
 *                 stage-2 leaf, nothing allocated
 *   touch-2m      a write to another page of such an extent: no exit if
 *                 one 2 MiB leaf maps it, a fault if not
 *   punch-smp     SV_GUEST_PUNCH of a written, mapped 4 KiB page (the VMM
 *                 calls MEMOBJ_FALLOCATE): zap and shootdown while vCPU 1
 *                 runs a loop on the other CPU
 *   punch         the same after vCPU 1 has halted for good
 * plus baseline-smp, the baseline loop while vCPU 1 runs (what the other
 * vCPU's host thread costs the emulator). A punched page is never touched
 * again (it would raise #VE: acceptance is on); a #VE counts as a failure.
 */
#include "guest/lib/cpu.h"
#include "guest/lib/kernel.h"
#include "guest/lib/memattr.h"
#include "guest/lib/trap.h"
#include "guest/vmm/layout.h"

KERNEL_VCPUS(2);

#define MB (1UL << 20)
#define MAX_SAMPLES 256
#define BASELINE_ITERS 1000
/* Fresh memory, each page or extent touched once: 4 KiB pages of the
 * part of the object that is not fallocated, and the 2 MiB extents of
 * GUEST_EXTENTS below the vCPU stacks (the top 2 MiB). */
#define FAULT_4K_GPA (24 * MB)
#define PUNCH_SMP_GPA (28 * MB)
#define PUNCH_GPA (32 * MB)
#define FAULT_2M_GPA GUEST_EXTENTS
#define FAULT_2M_COUNT ((GUEST_MEM - GUEST_EXTENTS) / (2 * MB) - 1)

struct row {
	const char *id, *what;
	unsigned count;
	uint64_t min, median, max;
};

static struct row rows[16];         /* 12 used */
static unsigned nr_rows, failures;
static uint64_t samples[MAX_SAMPLES];
static uint32_t port_reads;
static volatile uint64_t spins, v1_ready, v1_stop, v1_parked, ves;

#define fail(...) (failures++, kprintf("bench-guest: FAIL " __VA_ARGS__))

static inline uint64_t tsc(void)
{
	__asm__ volatile("lfence" ::: "memory");
	return rdtsc();
}

static void sort(uint64_t *a, unsigned n)
{
	for (unsigned i = 1; i < n; i++) {
		uint64_t v = a[i];
		unsigned j = i;
		for (; j && a[j - 1] > v; j--)
			a[j] = a[j - 1];
		a[j] = v;
	}
}

/* Times op(i) for i < n; prep(i), if any, runs untimed before each. An
 * op returns false if it did not do what its row claims, leaving what it
 * got in `got`: reported after the loop, never inside the timed part. */
static int64_t got;

static struct row time_row(const char *id, const char *what, unsigned n,
			   void (*prep)(unsigned), bool (*op)(unsigned))
{
	unsigned bad = 0, first_bad = 0;
	int64_t first_got = 0;

	for (unsigned i = 0; i < n; i++) {
		if (prep)
			prep(i);
		uint64_t t0 = tsc();
		bool ok = op(i);
		samples[i] = tsc() - t0;
		if (!ok && !bad++)
			first_bad = i, first_got = got;
	}
	if (bad)
		fail("%s: %u of %u wrong, the first at %u: got %ld (0x%lx)\n", id, bad, n,
		     first_bad, first_got, (uint64_t)first_got);
	sort(samples, n);
	return (struct row){ id, what, n, samples[0], samples[n / 2], samples[n - 1] };
}

/* rows[0] is the baseline, the reference of every ratio. */
#define measure(...) (rows[nr_rows++] = time_row(__VA_ARGS__))

static bool op_baseline(unsigned i)
{
	for (unsigned j = 0; j < BASELINE_ITERS; j++)
		__asm__ volatile("" : : "r"(j + i));
	return true;
}

/* The guest's own call about itself, answered on its vCPU: no #VE since
 * the last one, so -ENOENT every time. */
static bool op_hypercall(unsigned i)
{
	(void)i;
	got = sv_call0(SV_HC_GUEST_VE_INFO);
	return got == -ENOENT;
}

/* Through hypercall_dispatch and its global lock, refused there by the
 * call's own check (RTMR index 99): nothing else to do. (SV_HC_STATS,
 * open to any partition, answers a guest -EFAULT: it reaches only a
 * control partition's memory.) */
static bool op_dispatch(unsigned i)
{
	(void)i;
	got = sv_call2(SV_HC_GUEST_EXTEND, 99, 0);
	return got == -EINVAL;
}

static bool op_vmm_call(unsigned i)
{
	(void)i;
	got = vmm_call(SV_GUEST_PREEMPTIONS, 0, 0);
	return got >= 0;
}

static bool op_cpuid(unsigned i)
{
	uint32_t a = 0, b, c = 0, d;
	(void)i;
	__asm__ volatile("cpuid" : "+a"(a), "=b"(b), "+c"(c), "=d"(d));
	got = a;
	return a != 0;
}

/* The VMM answers with its count of reads, this one included. */
static bool op_pio(unsigned i)
{
	uint32_t v;
	(void)i;
	__asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"((uint16_t)BENCH_PORT));
	got = v;
	return v == ++port_reads;
}

static bool op_fault_4k(unsigned i)
{
	*(volatile uint64_t *)(FAULT_4K_GPA + i * 4096UL) = i + 1;
	return true;
}

static bool op_fault_2m(unsigned i)
{
	*(volatile uint64_t *)(FAULT_2M_GPA + i * 2 * MB) = i + 1;
	return true;
}

/* Another 4 KiB page of an extent fault-2m mapped: no exit if one 2 MiB
 * leaf maps the extent (the row shows whether it does). */
static bool op_touch_2m(unsigned i)
{
	*(volatile uint64_t *)(FAULT_2M_GPA + i * 2 * MB + MB + 4096) = i + 1;
	return true;
}

/* Untimed: the page is written (so mapped), and vCPU 1 has just been
 * seen running. */
static void write_punch_smp_page(unsigned i)
{
	uint64_t seen = spins;

	*(volatile uint64_t *)(PUNCH_SMP_GPA + i * 4096UL) = i + 1;
	while (spins == seen)
		;
}

static void write_punch_page(unsigned i)
{
	*(volatile uint64_t *)(PUNCH_GPA + i * 4096UL) = i + 1;
}

static unsigned punches_beside_v1;

/* vCPU 1's loop count moves during the punch: it was running then. */
static bool op_punch_smp(unsigned i)
{
	uint64_t before = spins;
	got = vmm_call(SV_GUEST_PUNCH, PUNCH_SMP_GPA + i * 4096UL, 4096);
	punches_beside_v1 += spins != before;
	return got == 0;
}

static bool op_punch(unsigned i)
{
	got = vmm_call(SV_GUEST_PUNCH, PUNCH_GPA + i * 4096UL, 4096);
	return got == 0;
}

/* Rows whose operation allocates: the object must grow by one page per
 * sample (a fault-around or a mapping left from before would not). */
static void measure_faults(void)
{
	int64_t before = vmm_call(SV_GUEST_STATS, 0, 0);
	measure("fault-4k", "stage-2 fault, 4 KiB (first write to a fresh page)", MAX_SAMPLES,
		0, op_fault_4k);
	int64_t after = vmm_call(SV_GUEST_STATS, 0, 0);
	kprintf("bench-guest: fault-4k: object pages %ld -> %ld\n", before, after);
	if (after - before != MAX_SAMPLES)
		fail("fault-4k: the object grew by %ld pages, not %d\n", after - before, MAX_SAMPLES);
	before = after;
	measure("fault-2m", "stage-2 fault, 2 MiB (first write to a fallocated extent)",
		FAULT_2M_COUNT, 0, op_fault_2m);
	measure("touch-2m", "write to another 4 KiB of a faulted 2 MiB extent (no exit expected)",
		FAULT_2M_COUNT, 0, op_touch_2m);
	after = vmm_call(SV_GUEST_STATS, 0, 0);
	if (after != before)
		fail("fault-2m: the object grew by %ld pages, not 0\n", after - before);
}

static void on_ve(uint64_t gpa)
{
	ves++;
	kprintf("bench-guest: #VE at 0x%lx: a punched page was touched\n", gpa);
	if (sv_accept(gpa & ~4095UL, 4096))
		kexit(1);
}

static void print_rows(void)
{
	uint64_t base = rows[0].median ? rows[0].median : 1;

	for (unsigned i = 0; i < nr_rows; i++) {
		struct row *r = &rows[i];
		uint64_t x1000 = (r->median * 1000 + base / 2) / base;
		kprintf("bench-guest: row %s count %u min %lu median %lu max %lu ratio %lu.%03lu: %s\n",
			r->id, r->count, r->min, r->median, r->max, x1000 / 1000, x1000 % 1000, r->what);
	}
}

static void vcpu1(void)
{
	v1_ready = 1;
	while (!v1_stop)
		spins++;
	v1_parked = 1;
	kpark();
}

__attribute__((section(".text.start"))) void _start(uint64_t id)
{
	if (id)
		vcpu1();
	trap_init();
	sv_ve_init(on_ve);
	sv_detect_vendor();
	/* rows[0], the reference, is measured once vCPU 1 is gone. */
	nr_rows = 1;
	while (!v1_ready)
		;
	measure("baseline-smp", "in-guest loop, vCPU 1 running", MAX_SAMPLES, 0, op_baseline);
	measure("punch-smp", "punch 4 KiB, written and mapped, shootdown while vCPU 1 runs", 64,
		write_punch_smp_page, op_punch_smp);
	v1_stop = 1;
	while (!v1_parked)
		;
	rows[0] = time_row("baseline", "in-guest loop, 1000 turns (no exit): the reference",
			   MAX_SAMPLES, 0, op_baseline);
	measure("hypercall", "hypercall round trip (SV_HC_GUEST_VE_INFO, on the vCPU)",
		MAX_SAMPLES, 0, op_hypercall);
	measure("hc-dispatch", "hypercall through the dispatcher and its lock (refused EXTEND)",
		MAX_SAMPLES, 0, op_dispatch);
	measure("vmm-call", "guest call round trip through the VMM (SV_GUEST_PREEMPTIONS)",
		MAX_SAMPLES, 0, op_vmm_call);
	measure("cpuid", "CPUID exit (leaf 0, in the hypervisor)", MAX_SAMPLES, 0, op_cpuid);
	measure("pio", "port-I/O exit served by the VMM (IN from BENCH_PORT)", MAX_SAMPLES, 0,
		op_pio);
	measure_faults();
	measure("punch", "punch 4 KiB, written and mapped, vCPU 1 halted", 64, write_punch_page,
		op_punch);
	kprintf("bench-guest: vCPU 1 ran on during %u of 64 punch-smp punches\n", punches_beside_v1);
	if (!punches_beside_v1)
		fail("punch-smp: vCPU 1 never ran during a punch\n");
	print_rows();
	if (ves)
		fail("%lu #VEs: a punched page was touched again\n", ves);
	kprintf("bench-guest: %u rows, %u failures\n", nr_rows, failures);
	kexit(failures ? 1 : 0);
}
