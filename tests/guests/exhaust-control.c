/*
 * exhaust-control: a hostile control partition that runs the machine out
 * of memory (issue 9 item 8), then, with a guest whose memory is mapped
 * with 2 MiB stage-2 leaves, punches 4 KiB inside such a leaf (the
 * stage-2 zap of part of a leaf: splitting it needs a table page there is
 * none of), has the guest fault the rest back in, punches and unmaps one
 * of its own mappings, destroys the VM and closes everything.
 *
 * Every call must succeed or return an errno (never bring the hypervisor
 * down: today a partial zap without memory panics, status 3), the guest
 * must see exactly the punched page zeroed and every other page intact,
 * and page accounting (free, object and stage-2 pages, objects, VMs) must
 * be back at its baseline at the end. Run with debug.audit = on.
 *
 * The swept range [2 MiB, 8 MiB) is an ordinary (not GUEST-sealed) object
 * bound as a second region: a GUEST region has acceptance on, and its
 * punched page would raise #VE in this guest, which has no IDT; what is
 * tested here is the zap of part of a 2 MiB leaf without memory, and an
 * ordinary region's punched page reads zero (README "Private and shared
 * memory"). The code and page tables are in the GUEST region [0, 2 MiB).
 *
 * The guest (exh_guest below, hand-assembled, vendor-neutral: it only uses
 * OUT and HLT) sweeps [2 MiB, 8 MiB) a page at a time: a page reading 0 is
 * counted as zero, one reading anything but its own gpa + 1 as bad; then
 * it writes gpa + 1, reports the counts on ports 0xe0/0xe1 and halts.
 * Every VCPU_RUN after that is one more sweep.
 */
#include "tests/guests/hostile.h"

#define GMEM (8 * MB)
#define SWEEP_FROM (2 * MB)
#define SWEEP_PAGES ((GMEM - SWEEP_FROM) / PAGE)
#define CODE_GPA 0x100000UL
#define MAP_M (256 * MB)
#define M_PAGES 16
#define PUNCH (MEMOBJ_FALLOC_PUNCH_HOLE | MEMOBJ_FALLOC_KEEP_SIZE)
#define MAX_EXTRA 48

extern const uint8_t exh_guest[], exh_guest_end[];
__asm__(".pushsection .rodata.exh_guest, \"a\"\n"
	".globl exh_guest, exh_guest_end\n"
	"exh_guest:\n"
	"2:	xor %r12d, %r12d\n"
	"	xor %r13d, %r13d\n"
	"	mov $0x200000, %ebx\n"
	"1:	mov (%rbx), %rax\n"
	"	lea 1(%rbx), %rcx\n"
	"	test %rax, %rax\n"
	"	jnz 3f\n"
	"	inc %r12\n"
	"	jmp 4f\n"
	"3:	cmp %rcx, %rax\n"
	"	je 4f\n"
	"	inc %r13\n"
	"4:	mov %rcx, (%rbx)\n"
	"	add $0x1000, %rbx\n"
	"	cmp $0x800000, %rbx\n"
	"	jb 1b\n"
	"	mov %r12d, %eax\n"
	"	mov $0xe0, %edx\n"
	"	out %eax, %dx\n"
	"	mov %r13d, %eax\n"
	"	mov $0xe1, %edx\n"
	"	out %eax, %dx\n"
	"	hlt\n"
	"	jmp 2b\n"
	"exh_guest_end:\n"
	".popsection\n");
_Static_assert(SWEEP_FROM == 0x200000 && GMEM == 0x800000, "the assembly hard-codes these");

static uint64_t pt[GUEST_PT_LEN / 8] __attribute__((aligned(4096)));
static uint8_t code[4096] __attribute__((aligned(4096)));
static int64_t big = -1, extra[MAX_EXTRA], extra_vms[SV_MAX_VMS];
static unsigned nr_extra, nr_extra_vms;
static uint64_t big_off;

struct sweep {
	int64_t zeros, bad;
	unsigned unbacked;     /* faults the hypervisor could not serve (out of memory) */
	bool done;
};

/* Gives a little memory back (one 2 MiB block of the filler), so that a
 * guest fault that failed for lack of memory can be retried. */
static void relieve(void)
{
	if (big >= 0 && big_off >= 2 * MB) {
		big_off = (big_off - 2 * MB) & ~(2 * MB - 1);
		expect("give 2 MiB back", sv_call4(SV_HC_MEMOBJ_FALLOCATE, big, PUNCH, big_off, 2 * MB), 0);
	}
}

/* One VCPU_RUN sweep of the guest. */
static struct sweep sweep(int64_t vm)
{
	static struct sv_run run;
	struct sweep s = { -1, -1, 0, false };

	for (unsigned n = 0; n < 1000 && !s.done; n++) {
		int64_t r = sv_call3(SV_HC_VCPU_RUN, vm, 0, (uint64_t)&run);
		if (r) {
			expect("run the guest", r, 0);
			break;
		}
		switch (run.exit_reason) {
		case SV_EXIT_IO:
			if (run.io.port == 0xe0)
				s.zeros = run.io.data;
			else if (run.io.port == 0xe1)
				s.bad = run.io.data;
			break;
		case SV_EXIT_HLT:
			s.done = true;
			break;
		case SV_EXIT_PREEMPT:
			break;
		case SV_EXIT_MMIO:
			/* A fault inside the region that failed: out of memory
			 * (an errno, not a crash). Free some, then retry. */
			if (run.mmio.gpa >= GMEM) {
				sv_printf("FAIL guest access outside its memory at 0x%lx\n", run.mmio.gpa);
				failures++;
				return s;
			}
			s.unbacked++;
			relieve();
			break;
		default:
			sv_printf("FAIL guest exit %u\n", run.exit_reason);
			failures++;
			return s;
		}
	}
	expect("the guest finished its sweep", s.done, 1);
	return s;
}

/* Fill memory: one huge object, in ever smaller pieces, then objects and
 * VMs until none can be made. */
static void exhaust(void)
{
	int64_t r = 0;
	unsigned n4k = 0;

	big = sv_call1(SV_HC_MEMOBJ_CREATE, MEMOBJ_ALLOW_SEALING);
	expect("create the filler", big >= 0, 1);
	expect("size it", sv_call2(SV_HC_MEMOBJ_SET_SIZE, big, 256UL << 30), 0);
	for (uint64_t chunk = 64 * MB; chunk >= PAGE; chunk = chunk == 64 * MB ? 2 * MB : chunk / 512) {
		while ((r = sv_call4(SV_HC_MEMOBJ_FALLOCATE, big, 0, big_off, chunk)) == 0) {
			big_off += chunk;
			n4k += chunk == PAGE;
		}
		/* Align for the next chunk size: skip the partial block. */
		if (chunk == PAGE)
			break;
	}
	sv_printf("filler: %lu MiB fallocated (%u single pages), then %s\n", big_off >> 20, n4k,
		  sv_strerror(r));
	expect("fallocate ends in ENOSPC or ENOMEM", r == -ENOSPC || r == -ENOMEM, 1);
	/* Objects until the heap or the handle table is out. */
	for (r = 0; nr_extra < MAX_EXTRA;) {
		r = sv_call1(SV_HC_MEMOBJ_CREATE, 0);
		if (r < 0)
			break;
		extra[nr_extra++] = r;
	}
	sv_printf("%u more objects, then %s\n", nr_extra, r < 0 ? sv_strerror(r) : "enough");
	for (;;) {
		r = sv_call0(SV_HC_VM_CREATE);
		if (r <= 0)
			break;
		extra_vms[nr_extra_vms++] = r;
	}
	sv_printf("%u more VMs, then %s\n", nr_extra_vms, sv_strerror(r));
	expect("VM_CREATE ends in an errno", r < 0, 1);
	struct sv_stats st = stats(0);
	sv_printf("exhausted: %lu pages free\n", st.free_pages);
	expect("memory is exhausted (at most 2 pages free)", st.free_pages <= 2, 1);
}

static void release(void)
{
	for (unsigned i = 0; i < nr_extra_vms; i++)
		expect("destroy an extra VM", sv_call1(SV_HC_VM_DESTROY, extra_vms[i]), 0);
	for (unsigned i = 0; i < nr_extra; i++)
		expect("close an extra object", sv_call1(SV_HC_MEMOBJ_CLOSE, extra[i]), 0);
	expect("close the filler", sv_call1(SV_HC_MEMOBJ_CLOSE, big), 0);
	big = -1;
}

__attribute__((section(".text.start"))) void _start(struct sv_boot_params *params)
{
	bp = params;
	sv_control_init(bp, "exhaust-control");
	sv_printf("exhaust-control: running the machine out of memory under a live guest\n");
	struct sv_stats base = stats(0);

	/* A guest with 2 MiB extents, run once: 2 MiB stage-2 leaves. */
	uint64_t code_len = (uint64_t)(exh_guest_end - exh_guest);
	memcpy(code, exh_guest, code_len);
	guest_page_tables(pt);
	struct sv_vcpu_regs regs = { .rip = CODE_GPA, .rsp = GMEM - 8, .cr3 = GUEST_PT };
	int64_t code_obj = guest_object(SWEEP_FROM, true);
	int64_t g = sv_call1(SV_HC_MEMOBJ_CREATE, MEMOBJ_ALLOW_SEALING);
	expect("create the swept object", g >= 0, 1);
	expect("size it", sv_call2(SV_HC_MEMOBJ_SET_SIZE, g, GMEM - SWEEP_FROM), 0);
	expect("fallocate it", sv_call4(SV_HC_MEMOBJ_FALLOCATE, g, 0, 0, GMEM - SWEEP_FROM), 0);
	int64_t vm = sv_call0(SV_HC_VM_CREATE);
	expect("create the VM", vm > 0, 1);
	expect("bind the code object", sv_call5(SV_HC_VM_SET_REGION, vm, 0, SWEEP_FROM, code_obj, 0), 0);
	expect("bind the swept object", sv_call5(SV_HC_VM_SET_REGION, vm, SWEEP_FROM, GMEM - SWEEP_FROM, g, 0), 0);
	expect("populate the page tables", sv_call4(SV_HC_VM_POPULATE, vm, GUEST_PT, (uint64_t)pt, GUEST_PT_LEN), 0);
	expect("populate the code", sv_call4(SV_HC_VM_POPULATE, vm, CODE_GPA, (uint64_t)code, code_len), 0);
	expect("create the vCPU", sv_call3(SV_HC_VCPU_CREATE, vm, 0, (uint64_t)&regs), 0);
	expect("finalize", sv_call1(SV_HC_VM_FINALIZE, vm), 0);
	uint64_t s2_before = stats(0).stage2_pages;
	struct sweep s = sweep(vm);
	uint64_t s2_after = stats(0).stage2_pages;
	sv_printf("sweep 1: %ld zero pages, %ld bad; the VM's stage-2 grew by %lu table pages\n",
		  s.zeros, s.bad, s2_after - s2_before);
	expect("sweep 1: every page fresh", s.zeros, SWEEP_PAGES);
	expect("sweep 1: no bad page", s.bad, 0);
	expect("2 MiB leaves: 8 MiB mapped with 2 table pages (4 KiB leaves need 6)",
	       (int64_t)(s2_after - s2_before), 2);

	/* One of our own mappings, touched now (its table pages exist). */
	int64_t m = sv_call1(SV_HC_MEMOBJ_CREATE, MEMOBJ_ALLOW_SEALING);
	expect("create the mapped object", m >= 0, 1);
	expect("size it", sv_call2(SV_HC_MEMOBJ_SET_SIZE, m, M_PAGES * PAGE), 0);
	expect("map it", sv_call5(SV_HC_MEMOBJ_MAP, m, 0, MAP_M, M_PAGES * PAGE, 1), 0);
	for (uint64_t p = 0; p < M_PAGES; p++)
		*(volatile uint64_t *)(MAP_M + p * PAGE) = p + 1;

	exhaust();

	/* Out of memory now. */
	expect("punch 4 KiB inside a 2 MiB leaf", sv_call4(SV_HC_MEMOBJ_FALLOCATE, g, PUNCH, 4 * MB - SWEEP_FROM + 5 * PAGE, PAGE), 0);
	s = sweep(vm);
	sv_printf("sweep 2: %ld zero pages, %ld bad, %u faults without memory\n", s.zeros, s.bad, s.unbacked);
	expect("sweep 2: exactly the punched page reads zero", s.zeros, 1);
	expect("sweep 2: every other page kept its data", s.bad, 0);
	expect("punch 4 KiB inside another 2 MiB leaf", sv_call4(SV_HC_MEMOBJ_FALLOCATE, g, PUNCH, 6 * MB - SWEEP_FROM + 511 * PAGE, PAGE), 0);
	expect("punch 4 KiB of my own mapping", sv_call4(SV_HC_MEMOBJ_FALLOCATE, m, PUNCH, 3 * PAGE, PAGE), 0);
	expect("unmap my mapping", sv_call1(SV_HC_MEMOBJ_UNMAP, MAP_M), 0);
	s = sweep(vm);
	sv_printf("sweep 3: %ld zero pages, %ld bad, %u faults without memory\n", s.zeros, s.bad, s.unbacked);
	expect("sweep 3: exactly the punched page reads zero", s.zeros, 1);
	expect("sweep 3: every other page kept its data", s.bad, 0);
	struct sv_stats low = stats(0);
	sv_printf("still exhausted: %lu pages free\n", low.free_pages);
	expect("destroy the VM out of memory", sv_call1(SV_HC_VM_DESTROY, vm), 0);
	expect("close the guest's code object", sv_call1(SV_HC_MEMOBJ_CLOSE, code_obj), 0);
	expect("close the guest's swept object", sv_call1(SV_HC_MEMOBJ_CLOSE, g), 0);
	expect("close the mapped object", sv_call1(SV_HC_MEMOBJ_CLOSE, m), 0);

	release();
	expect_baseline("exhaust-control: at the end", &base);
	sv_printf("exhaust-control: %u checks, %u failed\n", checks, failures);
	sv_printf("summary: %u passed, %u failed\n", checks - failures, failures);
	sv_shutdown(failures ? 1 : 0);
}
