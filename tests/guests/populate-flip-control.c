/*
 * populate-flip-control: a hostile control partition that rewrites a
 * VM_POPULATE source buffer from its second vCPU while the hypervisor
 * copies it into a GUEST-sealed VM (issue 9 item 7). The launch digest
 * must cover exactly the bytes that landed in guest memory, whatever the
 * source did meanwhile.
 *
 * The guest is a few hand-assembled instructions (flip_guest below) that
 * hand the populated buffer back to us 32 bytes per guest-to-VMM call
 * (RDI = offset, RSI/RDX/R10/R8 = the bytes), then halt. From those bytes
 * we build the format-v1 measurement stream (spec: header, one record per
 * populate, the region, vCPU-count and vCPU records at finalize) and hash
 * it with the hypervisor's own SHA-256 code (lib/sha256.c, linked into
 * this image only): VM_GET_MEASUREMENT must return that digest.
 *
 * A hypervisor that copies the source and then hashes it again (reading
 * it twice) measures bytes the guest never got: the flipper makes the two
 * reads differ. Run with debug.audit = on.
 */
#include "tests/guests/hostile.h"
#include "lib/sha256.h"

#define GMEM (4 * MB)
#define CODE_GPA 0x100000UL
#define DATA_GPA 0x200000UL
#define MAX_ATTEMPTS 200   /* a loaded host may not run CPU 1 during a populate for many tries */
#define FLIP_LEN (16 * 1024UL)   /* 512 report exits: each VCPU_RUN is audited */
#define REPORT_NR (SV_HC_GUEST_BASE + 0xf0)

/* The guest: for (off = 0; off < FLIP_LEN; off += 32) report(off,
 * qwords at DATA_GPA + off); hlt. flip_guest_call is patched to VMCALL on
 * Intel. Position-independent: copied to CODE_GPA. */
extern const uint8_t flip_guest[], flip_guest_end[], flip_guest_call[];
__asm__(".pushsection .rodata.flip_guest, \"a\"\n"
	".globl flip_guest, flip_guest_end, flip_guest_call\n"
	"flip_guest:\n"
	"	xor %ebx, %ebx\n"
	"1:	mov %rbx, %rdi\n"
	"	mov 0x200000(%rbx), %rsi\n"
	"	mov 0x200008(%rbx), %rdx\n"
	"	mov 0x200010(%rbx), %r10\n"
	"	mov 0x200018(%rbx), %r8\n"
	"	mov $0x1f0, %eax\n"
	"flip_guest_call:\n"
	"	vmmcall\n"
	"	add $32, %rbx\n"
	"	cmp $0x4000, %rbx\n"
	"	jb 1b\n"
	"2:	hlt\n"
	"	jmp 2b\n"
	"flip_guest_end:\n"
	".popsection\n");
_Static_assert(FLIP_LEN == 0x4000 && DATA_GPA == 0x200000 && REPORT_NR == 0x1f0,
	       "the assembly above hard-codes these");

static uint64_t src[FLIP_LEN / 8] __attribute__((aligned(4096)));
static uint64_t landed[FLIP_LEN / 8];
static uint64_t pt[GUEST_PT_LEN / 8] __attribute__((aligned(4096)));
static uint8_t code[4096] __attribute__((aligned(4096)));
static volatile bool stop;
static volatile uint64_t flips;

/* vCPU 1: rewrites every qword of the source, over and over. */
static void flipper(void)
{
	uint64_t n = 0;

	/* Progress is published after every qword, not every pass: a pass
	 * may take longer than the populate, and the check below must see
	 * any write that overlapped the call. */
	while (!__atomic_load_n(&stop, __ATOMIC_ACQUIRE)) {
		for (unsigned i = 0; i < FLIP_LEN / 8; i++) {
			((volatile uint64_t *)src)[i] = ++n * 0x9e3779b97f4a7c15UL;
			__atomic_store_n(&flips, n, __ATOMIC_RELEASE);
		}
	}
}

static void u64(struct sha256 *c, uint64_t v)
{
	sha256_update(c, &v, 8);   /* little-endian, like the spec */
}

static void populate_record(struct sha256 *c, struct sha256 *legacy, uint64_t gpa,
			    const void *bytes, uint64_t len)
{
	u64(c, 1), u64(c, gpa), u64(c, len);
	sha256_update(c, bytes, len);
	/* The pre-v1 stream (gpa || len || bytes per populate, nothing else):
	 * only to say what today's hypervisor measured. */
	u64(legacy, gpa), u64(legacy, len);
	sha256_update(legacy, bytes, len);
}

/* Record 7 of a vCPU in VCPU_CREATE's default state (README "Launch
 * measurement", "vCPU register state"). */
static void vcpu_default_record(struct sha256 *c, const struct sv_vcpu_regs *r)
{
	u64(c, 7), u64(c, 0);
	u64(c, 0), u64(c, 0), u64(c, r->rcx), u64(c, r->rdx), u64(c, r->rsi), u64(c, r->rdi);
	u64(c, r->rsp), u64(c, 0);
	for (int i = 0; i < 8; i++)
		u64(c, 0);
	u64(c, r->rip), u64(c, 2);
	u64(c, 0), u64(c, 0xffffffff), u64(c, 0x08), u64(c, 0xa9b);
	for (int i = 0; i < 5; i++)
		u64(c, 0), u64(c, 0xffffffff), u64(c, 0x10), u64(c, 0xc93);
	u64(c, 0), u64(c, 0x67), u64(c, 0x18), u64(c, 0x8b);
	for (int i = 0; i < 8; i++)
		u64(c, 0);                       /* ldt (4), gdt and idt (2 each) */
	u64(c, 0x80050033), u64(c, 0), u64(c, r->cr3), u64(c, 0x620), u64(c, 0), u64(c, 0xd00);
}

static void hex(const uint8_t *d, char *out)
{
	for (int i = 0; i < 32; i++)
		sv_snprintf(out + 2 * i, 3, "%02x", d[i]);
}

__attribute__((section(".text.start"))) void _start(struct sv_boot_params *params)
{
	static struct sv_run run;
	uint8_t got[32], want[32], old[32];
	char h1[65], h2[65];

	bp = params;
	sv_control_init(bp, "populate-flip-control");
	sv_printf("populate-flip-control: flipping a populate source from the second vCPU\n");
	if (!worker_start())
		goto out;
	/* After vCPU 1 started: its VMCB is the hypervisor's for good. */
	struct sv_stats base = stats(0);

	uint64_t code_len = (uint64_t)(flip_guest_end - flip_guest);
	memcpy(code, flip_guest, code_len);
	if (bp->vendor == SV_VENDOR_INTEL)
		code[flip_guest_call - flip_guest + 2] = 0xc1;   /* 0f 01 d9 VMMCALL -> 0f 01 c1 VMCALL */
	guest_page_tables(pt);
	struct sv_vcpu_regs regs = { .rip = CODE_GPA, .rsp = GMEM - 8, .cr3 = GUEST_PT };

	/*
	 * The race is real only if vCPU 1 wrote during the call. On a loaded
	 * host its CPU thread may not run at all for that long: then the
	 * launch is thrown away and tried again (each try is a new VM: its
	 * measurement must describe exactly one populate of the buffer).
	 */
	int64_t g = -1, vm = -1;
	uint64_t before = 0, after = 0;
	for (unsigned attempt = 0; attempt < MAX_ATTEMPTS && after == before; attempt++) {
		if (vm > 0) {
			sv_printf("attempt %u: vCPU 1 did not write during the populate; again\n", attempt);
			expect("destroy the untested VM", sv_call1(SV_HC_VM_DESTROY, vm), 0);
			expect("close its object", sv_call1(SV_HC_MEMOBJ_CLOSE, g), 0);
		}
		g = guest_object(GMEM, false);
		vm = sv_call0(SV_HC_VM_CREATE);
		expect("create the VM", vm > 0, 1);
		expect("bind the object", sv_call5(SV_HC_VM_SET_REGION, vm, 0, GMEM, g, 0), 0);
		expect("populate the page tables", sv_call4(SV_HC_VM_POPULATE, vm, GUEST_PT, (uint64_t)pt, GUEST_PT_LEN), 0);
		expect("populate the code", sv_call4(SV_HC_VM_POPULATE, vm, CODE_GPA, (uint64_t)code, code_len), 0);
		stop = false;
		worker_run(flipper);
		while (__atomic_load_n(&flips, __ATOMIC_ACQUIRE) == 0)
			__asm__ volatile("pause");
		before = flips;
		expect("populate the buffer being flipped",
		       sv_call4(SV_HC_VM_POPULATE, vm, DATA_GPA, (uint64_t)src, FLIP_LEN), 0);
		after = flips;
		__atomic_store_n(&stop, true, __ATOMIC_RELEASE);
		worker_wait();
	}
	sv_printf("the flipper rewrote %lu qwords of the buffer during the populate\n",
		  after - before);
	expect("the source changed while it was populated", after > before, 1);

	expect("create the vCPU", sv_call3(SV_HC_VCPU_CREATE, vm, 0, (uint64_t)&regs), 0);
	int64_t seals = sv_call1(SV_HC_MEMOBJ_GET_SEALS, g);
	expect("the object's seals", seals >= 0 && (seals & MEMOBJ_SEAL_GUEST), 1);
	expect("finalize", sv_call1(SV_HC_VM_FINALIZE, vm), 0);
	expect("measurement", sv_call2(SV_HC_VM_GET_MEASUREMENT, vm, (uint64_t)got), 0);

	/* The guest hands back what landed. */
	uint64_t next = 0, exits = 0;
	bool halted = false;
	memset(&run, 0, sizeof(run));
	while (!halted && exits++ < FLIP_LEN / 32 + 1000) {
		int64_t r = sv_call3(SV_HC_VCPU_RUN, vm, 0, (uint64_t)&run);
		if (r) {
			expect("run the guest", r, 0);
			break;
		}
		if (run.exit_reason == SV_EXIT_HYPERCALL && run.hypercall.nr == REPORT_NR &&
		    run.hypercall.args[0] == next && next < FLIP_LEN) {
			for (unsigned i = 0; i < 4; i++)
				landed[next / 8 + i] = run.hypercall.args[1 + i];
			next += 32;
			run.hypercall.ret = 0;
		} else if (run.exit_reason == SV_EXIT_HLT) {
			halted = true;
		} else if (run.exit_reason != SV_EXIT_PREEMPT) {
			sv_printf("FAIL guest exit %u (nr 0x%lx arg 0x%lx, expected offset 0x%lx)\n",
				  run.exit_reason, run.hypercall.nr, run.hypercall.args[0], next);
			break;
		}
	}
	expect("the guest reported every populated byte, then halted", halted && next == FLIP_LEN, 1);

	/* The format-v2 stream of this launch, from the bytes that landed. */
	struct sha256 c, legacy;
	sha256_init(&c);
	sha256_init(&legacy);
	sha256_update(&c, "SVLAUNCH", 8);
	u64(&c, 2);
	populate_record(&c, &legacy, GUEST_PT, pt, GUEST_PT_LEN);
	populate_record(&c, &legacy, CODE_GPA, code, code_len);
	populate_record(&c, &legacy, DATA_GPA, landed, FLIP_LEN);
	u64(&c, 2), u64(&c, 0), u64(&c, GMEM), u64(&c, 0), u64(&c, (uint64_t)seals);
	u64(&c, 5), u64(&c, 0), u64(&c, 6), u64(&c, 0);   /* no CPUID table, MSR policy 0 */
	u64(&c, 3), u64(&c, 1);
	vcpu_default_record(&c, &regs);
	sha256_final(&c, want);
	sha256_final(&legacy, old);
	hex(got, h1);
	hex(want, h2);
	sv_printf("measurement %s\nv2 digest of the bytes that landed %s\n", h1, h2);
	if (memcmp(got, want, 32))
		sv_printf("(the hypervisor's measurement %s the pre-v2 digest of the bytes that landed)\n",
			  memcmp(got, old, 32) ? "is not even" : "is");
	expect("measurement == SHA-256 of the v2 stream of the bytes that landed", memcmp(got, want, 32) == 0, 1);

	expect("destroy the VM", sv_call1(SV_HC_VM_DESTROY, vm), 0);
	expect("close the object", sv_call1(SV_HC_MEMOBJ_CLOSE, g), 0);
	expect_baseline("populate-flip-control: at the end", &base);
out:
	sv_printf("populate-flip-control: %u checks, %u failed\n", checks, failures);
	sv_printf("summary: %u passed, %u failed\n", checks - failures, failures);
	sv_shutdown(failures ? 1 : 0);
}
