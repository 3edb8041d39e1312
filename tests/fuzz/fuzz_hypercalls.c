/*
 * libFuzzer harness for the hypercall surface: hv/ + mm/ built for the host
 * with the fake backend (tests/unit/fake_virt.c). Each input is a sequence
 * of steps by the control partition (every control hypercall), its faults
 * on object mappings, guest stage-2 faults, guest vCPU runs with scripted
 * exits, and hypercalls made by guests. After every step the ownership
 * audit and the page accounting must hold (fuzz_env.c); at the end the
 * input's state is torn down through hypercalls and everything must be back
 * to where initialisation left it.
 *
 * Input format: one byte picks the step (op_table), the following bytes its
 * arguments, drawn from small, mostly valid domains (see the pick_*
 * functions) with now and then a wild value. A short input reads as zeros.
 *
 * FUZZ_TRACE=1 in the environment prints every step as it runs (to read a
 * reproducer); a failed check prints the last steps anyway.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sealvisor/errno.h>
#include "hv/attest.h"
#include "hv/hypercall.h"
#include "hv/vm.h"
#include "mm/pmm.h"
#include "tests/fuzz/fuzz.h"
#include "tests/unit/fake_virt.h"

#define SIZE_2M (2UL << 20)
#define MAX_STEPS 64
#define PUNCH (MEMOBJ_FALLOC_PUNCH_HOLE | MEMOBJ_FALLOC_KEEP_SIZE)
#define NELEMS(a) (sizeof(a) / sizeof((a)[0]))

struct input {
	const uint8_t *p;
	size_t n;
};

static struct vm *control;
static uint64_t free_baseline;
static bool trace_live;

/* ---- Step trace: recorded raw, formatted only when someone reads it. ---- */

struct step {
	const char *what;
	uint64_t a[7];
	int64_t ret;
};

static struct step trace[MAX_STEPS * 4];
static unsigned nr_trace;

static void trace_print(const struct step *s)
{
	fprintf(stderr, "  %-18s [%#lx] %#lx %#lx %#lx %#lx %#lx -> %ld\n", s->what, s->a[0],
		s->a[1], s->a[2], s->a[3], s->a[4], s->a[5], s->ret);
}

/* Called before the step runs, so a live trace shows the step a panic or
 * a sanitizer stopped in; record_ret fills in the result. */
static void record(const char *what, const uint64_t a[7])
{
	struct step *s = &trace[nr_trace++ % NELEMS(trace)];

	s->what = what;
	memcpy(s->a, a, sizeof(s->a));
	s->ret = -999999;
	if (trace_live)
		fprintf(stderr, "  %-18s [%#lx] %#lx %#lx %#lx %#lx %#lx ...\n", what, a[0], a[1],
			a[2], a[3], a[4], a[5]);
}

static void record_ret(int64_t ret)
{
	trace[(nr_trace - 1) % NELEMS(trace)].ret = ret;
	if (trace_live)
		fprintf(stderr, "    -> %ld\n", ret);
}

void fuzz_trace_dump(void)
{
	unsigned first = nr_trace > NELEMS(trace) ? nr_trace - NELEMS(trace) : 0;

	fprintf(stderr, "steps of this input (oldest first):\n");
	for (unsigned i = first; i < nr_trace; i++)
		trace_print(&trace[i % NELEMS(trace)]);
}

/* ---- Input decoding. ---- */

static uint8_t byte(struct input *in)
{
	if (!in->n)
		return 0;
	in->n--;
	return *in->p++;
}

static uint64_t raw64(struct input *in)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < 8; i++)
		v |= (uint64_t)byte(in) << (8 * i);
	return v;
}

static const uint64_t wild[] = {
	1, PAGE_SIZE - 1, PAGE_SIZE + 1, 1UL << 31, 1UL << 32, 1UL << 30,
	MEMOBJ_MAX_SIZE - PAGE_SIZE, MEMOBJ_MAX_SIZE, MEMOBJ_MAX_SIZE + PAGE_SIZE,
	1UL << 48, ~0UL, ~0UL - PAGE_SIZE + 1, 1UL << 63, (1UL << 63) - PAGE_SIZE,
	(1UL << 39) - SIZE_2M, SIZE_2M - 1,
};

/* An offset, a length or a guest gpa: page multiples within a few MiB,
 * often 2 MiB aligned or sized (or a page off), sometimes wild. */
static uint64_t pick_span(struct input *in)
{
	uint8_t b = byte(in);
	static const int64_t adjust[4] = { 0, PAGE_SIZE, -(int64_t)PAGE_SIZE, -(int64_t)SIZE_2M / 2 };

	switch (b >> 6) {
	case 0:
		return (uint64_t)(b & 0x3f) * PAGE_SIZE;           /* 0 .. 252 KiB */
	case 1:
		return (uint64_t)(b & 0x3f) * 16 * PAGE_SIZE;      /* 64 KiB steps to 4 MiB */
	case 2:
		return ((b & 3) + 1) * SIZE_2M + adjust[(b >> 2) & 3];
	default:
		return (b & 0x20) ? raw64(in) : wild[b % NELEMS(wild)];
	}
}

/* A pointer argument in the control partition's RAM: mostly a scratch page
 * near 0, sometimes its edge, beyond it, or unaligned. */
static uint64_t pick_buf(struct input *in)
{
	uint8_t b = byte(in);

	if (b < 0xc0)
		return (uint64_t)(b & 0x3f) * PAGE_SIZE;
	switch (b & 7) {
	case 0: return FUZZ_CONTROL_RAM - PAGE_SIZE;
	case 1: return FUZZ_CONTROL_RAM - 8;
	case 2: return FUZZ_CONTROL_RAM;
	case 3: return ~0UL - 7;
	case 4: return 0x10 + PAGE_SIZE * (b >> 3 & 7);
	case 5: return FUZZ_CONTROL_RAM + SIZE_2M;
	case 6: return 1UL << 48;
	default: return raw64(in);
	}
}

/* A gpa for MEMOBJ_MAP / UNMAP / map faults: mappings live above RAM. */
static uint64_t pick_map_gpa(struct input *in)
{
	uint8_t b = byte(in);

	if (b < 0xe0)
		return FUZZ_CONTROL_RAM + (uint64_t)(b & 0x3f) * 16 * PAGE_SIZE;
	return (b & 1) ? pick_span(in) : SV_MAP_GPA_LIMIT - PAGE_SIZE * (b & 0xe);
}

static uint64_t pick_handle(struct input *in)
{
	static const uint64_t bad[] = { SV_MAX_HANDLES - 1, SV_MAX_HANDLES, ~0UL, 1UL << 32 };
	uint8_t b = byte(in);

	return b < 0xf0 ? b % 8 : bad[b % NELEMS(bad)];
}

static uint64_t pick_vm_id(struct input *in)
{
	static const uint64_t bad[] = { SV_MAX_VMS - 1, SV_MAX_VMS, ~0UL, 1UL << 32 };
	uint8_t b = byte(in);

	if (b < 0xf0)
		return b % 5;
	return bad[b % NELEMS(bad)];
}

static uint64_t pick_vcpu_id(struct input *in)
{
	uint8_t b = byte(in);

	return b < 0xf0 ? b % (SV_MAX_VCPUS + 2) : ~0UL;
}

static uint64_t pick_seals(struct input *in)
{
	static const uint64_t common[] = { MEMOBJ_SEAL_GUEST, MEMOBJ_SEAL_WRITE, MEMOBJ_SEAL_SEAL,
					   MEMOBJ_SEAL_SHRINK | MEMOBJ_SEAL_GROW,
					   MEMOBJ_SEAL_FUTURE_WRITE, 0x40, 1UL << 32 };
	uint8_t b = byte(in);

	return b & 0x80 ? common[b % NELEMS(common)] : (b & MEMOBJ_ALL_SEALS);
}

static uint64_t pick_falloc_mode(struct input *in)
{
	static const uint64_t modes[] = { 0, MEMOBJ_FALLOC_KEEP_SIZE, PUNCH, PUNCH, PUNCH,
					  MEMOBJ_FALLOC_PUNCH_HOLE, 4, 0xffffffff, 1UL << 32 };
	return modes[byte(in) % NELEMS(modes)];
}

static uint64_t pick_create_flags(struct input *in)
{
	static const uint64_t flags[] = {
		MEMOBJ_ALLOW_SEALING, MEMOBJ_ALLOW_SEALING, MEMOBJ_ALLOW_SEALING | MEMOBJ_4K_ONLY,
		0, MEMOBJ_4K_ONLY, MEMOBJ_CLOEXEC | MEMOBJ_ALLOW_SEALING, 0x8, 1UL << 32,
	};
	return flags[byte(in) % NELEMS(flags)];
}

/* ---- Calls. ---- */

/* Bytes of the control partition's RAM the input may have changed (by a
 * hypercall's output or a poke): zeroed again between inputs, so an input
 * means the same thing whatever ran before it. */
static uint64_t dirty_lo = ~0UL, dirty_hi;

static void mark_dirty(uint64_t gpa, uint64_t len)
{
	if (gpa >= FUZZ_CONTROL_RAM)
		return;
	uint64_t end = len > FUZZ_CONTROL_RAM - gpa ? FUZZ_CONTROL_RAM : gpa + len;
	dirty_lo = gpa < dirty_lo ? gpa : dirty_lo;
	dirty_hi = end > dirty_hi ? end : dirty_hi;
}

static const char *const hc_names[SV_HC_MAX] = {
	[SV_HC_CONSOLE_WRITE] = "CONSOLE_WRITE", [SV_HC_SYSTEM_SHUTDOWN] = "SYSTEM_SHUTDOWN",
	[SV_HC_STATS] = "STATS", [SV_HC_MEMOBJ_CREATE] = "MEMOBJ_CREATE",
	[SV_HC_MEMOBJ_CLOSE] = "MEMOBJ_CLOSE", [SV_HC_MEMOBJ_SET_SIZE] = "MEMOBJ_SET_SIZE",
	[SV_HC_MEMOBJ_GET_SIZE] = "MEMOBJ_GET_SIZE", [SV_HC_MEMOBJ_ADD_SEALS] = "MEMOBJ_ADD_SEALS",
	[SV_HC_MEMOBJ_GET_SEALS] = "MEMOBJ_GET_SEALS", [SV_HC_MEMOBJ_READ] = "MEMOBJ_READ",
	[SV_HC_MEMOBJ_WRITE] = "MEMOBJ_WRITE", [SV_HC_MEMOBJ_MAP] = "MEMOBJ_MAP",
	[SV_HC_MEMOBJ_UNMAP] = "MEMOBJ_UNMAP", [SV_HC_MEMOBJ_FALLOCATE] = "MEMOBJ_FALLOCATE",
	[SV_HC_VM_CREATE] = "VM_CREATE", [SV_HC_VM_DESTROY] = "VM_DESTROY",
	[SV_HC_VM_SET_REGION] = "VM_SET_REGION", [SV_HC_VM_POPULATE] = "VM_POPULATE",
	[SV_HC_VM_FINALIZE] = "VM_FINALIZE", [SV_HC_VM_GET_MEASUREMENT] = "VM_GET_MEASUREMENT",
	[SV_HC_VCPU_CREATE] = "VCPU_CREATE", [SV_HC_VCPU_RUN] = "VCPU_RUN",
	[SV_HC_CONTROL_VCPU_START] = "CONTROL_VCPU_START",
	[SV_HC_CONTROL_VCPU_WAKE] = "CONTROL_VCPU_WAKE",
	[SV_HC_VM_SET_MSR_POLICY] = "VM_SET_MSR_POLICY",
	[SV_HC_VCPU_INTERRUPT] = "VCPU_INTERRUPT",
	[SV_HC_VCPU_SET_MP_STATE] = "VCPU_SET_MP_STATE",
	[SV_HC_VCPU_GET_MP_STATE] = "VCPU_GET_MP_STATE",
	[SV_HC_VM_SET_MEMORY_ATTRIBUTES] = "VM_SET_MEMORY_ATTRIBUTES",
	[SV_HC_VM_SET_SHARED_MEMORY] = "VM_SET_SHARED_MEMORY",
	[SV_HC_GUEST_ACCEPT] = "GUEST_ACCEPT", [SV_HC_GUEST_MAP_GPA] = "GUEST_MAP_GPA",
	[SV_HC_GUEST_VE_INFO] = "GUEST_VE_INFO",
	[SV_HC_ATTEST_PUBLIC_KEY] = "ATTEST_PUBLIC_KEY",
	[SV_HC_GUEST_GET_REPORT] = "GUEST_GET_REPORT", [SV_HC_GUEST_EXTEND] = "GUEST_EXTEND",
};

static const char *hc_name(uint64_t nr)
{
	return nr < SV_HC_MAX && hc_names[nr] ? hc_names[nr] : "HC(unknown)";
}

/* A control-partition hypercall, recorded and followed by the checks. */
static int64_t hc(uint64_t nr, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4, uint64_t a5)
{
	const uint64_t a[7] = { nr, a1, a2, a3, a4, a5, 0 };

	/* The host stub of a successful shutdown exits the process. */
	if (nr == SV_HC_SYSTEM_SHUTDOWN && a1 <= 255)
		return -EINVAL;
	record(hc_name(nr), a);
	int64_t r = hypercall_dispatch(control, a);
	record_ret(r);
	fuzz_check_step(control, hc_name(nr));
	return r;
}

/* A live guest VM named by the input, or NULL. */
static struct vm *pick_guest(struct input *in)
{
	struct vm *vm = vm_get(1 + byte(in) % 4);

	return vm && !vm->is_control ? vm : NULL;
}

/* ---- Steps. ---- */

static void op_memobj_create(struct input *in)
{
	int64_t h = hc(SV_HC_MEMOBJ_CREATE, pick_create_flags(in), 0, 0, 0, 0);

	if (h >= 0 && (h >= SV_MAX_HANDLES || !control->handles[h]))
		fuzz_fail("MEMOBJ_CREATE returned handle %ld, which is not open", h);
}

static void op_memobj_close(struct input *in)
{
	hc(SV_HC_MEMOBJ_CLOSE, pick_handle(in), 0, 0, 0, 0);
}

static void op_memobj_set_size(struct input *in)
{
	uint64_t h = pick_handle(in);
	hc(SV_HC_MEMOBJ_SET_SIZE, h, pick_span(in), 0, 0, 0);
}

static void op_memobj_get(struct input *in)
{
	uint64_t h = pick_handle(in);
	hc(byte(in) & 1 ? SV_HC_MEMOBJ_GET_SEALS : SV_HC_MEMOBJ_GET_SIZE, h, 0, 0, 0, 0);
}

static void op_memobj_add_seals(struct input *in)
{
	uint64_t h = pick_handle(in);
	hc(SV_HC_MEMOBJ_ADD_SEALS, h, pick_seals(in), 0, 0, 0);
}

static void op_memobj_rw(struct input *in)
{
	uint64_t nr = byte(in) & 1 ? SV_HC_MEMOBJ_WRITE : SV_HC_MEMOBJ_READ;
	uint64_t h = pick_handle(in), off = pick_span(in), buf = pick_buf(in);
	uint64_t len = pick_span(in);

	if (byte(in) & 1)   /* unaligned offsets and lengths too */
		off += byte(in), len += byte(in);
	if (nr == SV_HC_MEMOBJ_READ)
		mark_dirty(buf, len);
	hc(nr, h, off, buf, len, 0);
}

static void op_memobj_map(struct input *in)
{
	uint64_t h = pick_handle(in), off = pick_span(in), gpa = pick_map_gpa(in);
	uint64_t len = pick_span(in), writable = byte(in) % 3;
	hc(SV_HC_MEMOBJ_MAP, h, off, gpa, len, writable);
}

static void op_memobj_unmap(struct input *in)
{
	hc(SV_HC_MEMOBJ_UNMAP, pick_map_gpa(in), 0, 0, 0, 0);
}

static void op_memobj_fallocate(struct input *in)
{
	uint64_t h = pick_handle(in), mode = pick_falloc_mode(in), off = pick_span(in);
	hc(SV_HC_MEMOBJ_FALLOCATE, h, mode, off, pick_span(in), 0);
}

static void op_vm_create(struct input *in)
{
	(void)in;
	int64_t id = hc(SV_HC_VM_CREATE, 0, 0, 0, 0, 0);
	if (id >= 0 && (!vm_get((unsigned)id) || vm_get((unsigned)id)->is_control))
		fuzz_fail("VM_CREATE returned %ld, which is no live guest", id);
}

static void op_vm_destroy(struct input *in)
{
	hc(SV_HC_VM_DESTROY, pick_vm_id(in), 0, 0, 0, 0);
}

static void op_vm_set_region(struct input *in)
{
	uint64_t id = pick_vm_id(in), gpa = pick_span(in), size = pick_span(in);
	uint64_t h = pick_handle(in);
	hc(SV_HC_VM_SET_REGION, id, gpa, size, h, pick_span(in));
}

static void op_vm_populate(struct input *in)
{
	uint64_t id = pick_vm_id(in), gpa = pick_span(in), buf = pick_buf(in);
	uint64_t len = byte(in) & 1 ? pick_span(in) : byte(in);
	if (byte(in) & 1)
		gpa += byte(in);
	hc(SV_HC_VM_POPULATE, id, gpa, buf, len, 0);
}

static void op_vm_finalize(struct input *in)
{
	hc(SV_HC_VM_FINALIZE, pick_vm_id(in), 0, 0, 0, 0);
}

static void op_vm_get_measurement(struct input *in)
{
	uint64_t id = pick_vm_id(in), buf = pick_buf(in);
	mark_dirty(buf, SV_MEASUREMENT_SIZE);
	hc(SV_HC_VM_GET_MEASUREMENT, id, buf, 0, 0, 0);
}

static void op_vcpu_create(struct input *in)
{
	uint64_t id = pick_vm_id(in), vcpu = pick_vcpu_id(in);
	hc(SV_HC_VCPU_CREATE, id, vcpu, pick_buf(in), 0, 0);
}

/* One scripted exit of the fake backend. */
static struct vm_exit pick_exit(struct input *in)
{
	uint8_t b = byte(in);
	struct vm_exit e = { .reason = VMEXIT_NONE };

	switch (b % 12) {
	case 0: case 1: case 2:
		e.reason = VMEXIT_NPF;
		e.gpa = pick_span(in) + (b >> 4) * 8;
		e.write = b & 0x10;
		break;
	case 3: e.reason = VMEXIT_HYPERCALL; break;
	case 4: e.reason = VMEXIT_HLT; break;
	case 5:
		e.reason = VMEXIT_IO;
		e.port = (uint16_t)(0x3f8 + (b >> 4));
		e.size = (uint8_t)(1u << (b >> 4) % 4);   /* 8 is not a port size: robustness */
		e.in = b & 0x10;
		e.string = b & 0x20;
		break;
	case 6: e.reason = VMEXIT_CPUID; break;
	case 7:
		if (b & 0x20) {
			e.reason = VMEXIT_INSN;
			e.insn = (enum vm_insn)((b >> 6) % (INSN_COUNT + 1));   /* + one nobody decided */
		} else {
			e.reason = VMEXIT_MSR;
			e.write = b & 0x10;
		}
		break;
	case 8: e.reason = VMEXIT_PREEMPT; break;
	case 9: e.reason = b & 0x10 ? VMEXIT_INTR : VMEXIT_NONE; break;
	case 10: e.reason = b & 0x10 ? VMEXIT_FAILED : VMEXIT_UNKNOWN; break;
	default: e.reason = VMEXIT_SHUTDOWN; break;
	}
	return e;
}

/* The guest's registers for a HYPERCALL exit: what it asks the hypervisor
 * (below SV_HC_GUEST_BASE) or its VMM (from there up). */
static void set_guest_regs(struct vcpu *v, struct input *in)
{
	uint8_t b = byte(in);

	v->regs.rax = b < 0xc0 ? b % (SV_HC_MAX + 2) : SV_HC_GUEST_BASE + (b & 3);
	v->regs.rdi = pick_span(in);
	v->regs.rsi = pick_span(in);
	v->regs.rdx = pick_buf(in);
	v->regs.r10 = pick_span(in);
	v->regs.r8 = byte(in);
}

/* VCPU_RUN with up to 6 scripted exits; after them the fake reports a
 * triple fault, so every run ends. */
static void op_vcpu_run(struct input *in)
{
	uint64_t id = pick_vm_id(in), vcpu = pick_vcpu_id(in), buf = pick_buf(in);
	struct vm *vm = vm_get((unsigned)(id < SV_MAX_VMS ? id : 0));
	unsigned n = byte(in) % 7;

	fake_nexits = fake_next_exit = 0;
	for (unsigned i = 0; i < n; i++)
		fake_exits[fake_nexits++] = pick_exit(in);
	if (vm && vcpu < SV_MAX_VCPUS && vm->vcpus[vcpu].created)
		set_guest_regs(&vm->vcpus[vcpu], in);
	mark_dirty(buf, sizeof(struct sv_run));
	hc(SV_HC_VCPU_RUN, id, vcpu, buf, 0, 0);
	fake_nexits = fake_next_exit = 0;
}

static void op_console_stats(struct input *in)
{
	uint64_t buf = pick_buf(in);

	if (byte(in) & 1) {
		hc(SV_HC_CONSOLE_WRITE, buf, byte(in) & 1 ? byte(in) : pick_span(in), 0, 0, 0);
		return;
	}
	mark_dirty(buf, sizeof(struct sv_stats));
	hc(SV_HC_STATS, buf, pick_vm_id(in), 0, 0, 0);
}

/* Calls with no state behind them here, and numbers nobody handles. A
 * SYSTEM_SHUTDOWN the hypervisor would accept is never made (hc()). */
static void op_misc(struct input *in)
{
	static const uint64_t unknown[] = { 0, 4, 9, 21, 29, SV_HC_MAX, SV_HC_GUEST_BASE, ~0UL };
	uint8_t b = byte(in);

	switch (b % 4) {
	case 0: hc(SV_HC_SYSTEM_SHUTDOWN, 256 + byte(in), 0, 0, 0, 0); break;
	case 1: hc(SV_HC_CONTROL_VCPU_START, byte(in) % 3, pick_span(in), pick_span(in), 0, 0); break;
	case 2: hc(SV_HC_CONTROL_VCPU_WAKE, byte(in) % 3, 0, 0, 0, 0); break;
	default: hc(unknown[byte(in) % NELEMS(unknown)], pick_span(in), 0, 0, 0, 0); break;
	}
}

/* A guest's stage-2 fault, as the run loop would resolve it. Only for a
 * finalized guest: nothing else can run. */
static void op_guest_fault(struct input *in)
{
	struct vm *vm = pick_guest(in);
	uint64_t gpa = pick_span(in) + byte(in) * 8;

	if (!vm || !vm->finalized)
		return;
	record("guest fault", (uint64_t[7]){ 0, vm->id, gpa });
	int r = vm_handle_fault(vm, gpa);
	record_ret(r);
	fuzz_check_step(control, "vm_handle_fault");
}

/* The control partition touching its own mappings (or beyond them). */
static void op_map_fault(struct input *in)
{
	uint64_t gpa = pick_map_gpa(in) + byte(in) * 8;
	bool write = byte(in) & 1;

	record("control map fault", (uint64_t[7]){ 0, gpa, write });
	int r = vm_map_fault(control, gpa, write);
	record_ret(r);
	fuzz_check_step(control, "vm_map_fault");
}

/* A guest's own attestation calls (60, 61) may succeed: a report or an
 * RTMR extension, which may fault in the guest pages it names (as the
 * guest's own access would). Otherwise the exact errors they document. */
static bool attest_call(uint64_t nr)
{
	return nr == SV_HC_GUEST_GET_REPORT || nr == SV_HC_GUEST_EXTEND;
}

static bool attest_result_ok(uint64_t nr, int64_t r)
{
	if (nr == SV_HC_GUEST_GET_REPORT)
		return r == SV_REPORT_SIZE || r == -ENOSPC || r == -EFAULT || r == -ENODEV ||
		       r == -ENOMEM;
	return r == 0 || r == -EINVAL || r == -EFAULT || r == -ENOMEM;
}

/* A guest calling the hypervisor ABI: only CONSOLE_WRITE and STATS are
 * open to it, and it has no RAM of its own to point at, so every call must
 * fail and change nothing; its attestation calls change nothing when
 * they fail (no page, no RTMR). */
static void op_guest_hypercall(struct input *in)
{
	struct vm *vm = pick_guest(in);
	uint64_t nr = byte(in) % (SV_HC_MAX + 2);
	const uint64_t a[7] = { nr, pick_span(in), pick_span(in), pick_buf(in), pick_span(in),
				pick_span(in), 0 };
	uint8_t rtmr[SV_NR_RTMR][32];

	if (!vm)
		return;
	uint64_t free = pmm_free_pages(), objs = memobj_nr_objects();
	memcpy(rtmr, vm->rtmr, sizeof(rtmr));
	record("guest hypercall", a);
	int64_t r = hypercall_dispatch(vm, a);
	record_ret(r);
	bool open = nr == SV_HC_CONSOLE_WRITE || nr == SV_HC_STATS;
	if (attest_call(nr) ? !attest_result_ok(nr, r)
			    : open ? r >= 0 : (r != -EPERM && r != -ENOSYS))
		fuzz_fail("guest VM %u: hypercall %s returned %ld", vm->id, hc_name(nr), r);
	if (r < 0 && (pmm_free_pages() != free || memobj_nr_objects() != objs))
		fuzz_fail("guest VM %u: refused hypercall %s changed the page or object count",
			  vm->id, hc_name(nr));
	if (r < 0 && memcmp(rtmr, vm->rtmr, sizeof(rtmr)))
		fuzz_fail("guest VM %u: refused hypercall %s changed an RTMR", vm->id, hc_name(nr));
	fuzz_check_step(control, "guest hypercall");
}

/* The control partition writing its own RAM: register blocks for
 * VCPU_CREATE, sources for WRITE and POPULATE, answers in struct sv_run. */
static void op_poke(struct input *in)
{
	uint64_t gpa = (uint64_t)(byte(in) % 64) * PAGE_SIZE + (byte(in) & 0x78);
	unsigned len = byte(in) % 64;
	uint8_t *p = vm_guest_ptr(control, gpa, len);

	for (unsigned i = 0; i < len; i++)
		p[i] = byte(in);
	mark_dirty(gpa, len);
}

/* The VMM's usual launch in one step, so inputs reach running guests
 * quickly: a GUEST object, a VM with a region of it, a populated page, a
 * vCPU, and (mostly) FINALIZE. Every call may fail; nothing is assumed. */
static void op_launch(struct input *in)
{
	uint8_t b = byte(in);
	uint64_t size = ((b & 3) + 1) * SIZE_2M / ((b & 4) ? 8 : 1);
	uint64_t gpa = (b & 8) ? SIZE_2M : 0;
	int64_t h = hc(SV_HC_MEMOBJ_CREATE,
		       MEMOBJ_ALLOW_SEALING | ((b & 0x10) ? MEMOBJ_4K_ONLY : 0), 0, 0, 0, 0);

	if (h < 0)
		return;
	hc(SV_HC_MEMOBJ_ADD_SEALS, h, MEMOBJ_SEAL_GUEST, 0, 0, 0);
	hc(SV_HC_MEMOBJ_SET_SIZE, h, size, 0, 0, 0);
	if (b & 0x20)
		hc(SV_HC_MEMOBJ_FALLOCATE, h, 0, 0, size, 0);
	int64_t id = hc(SV_HC_VM_CREATE, 0, 0, 0, 0, 0);
	if (id < 0)
		return;
	hc(SV_HC_VM_SET_REGION, id, gpa, size, h, 0);
	hc(SV_HC_VM_POPULATE, id, gpa + PAGE_SIZE, 0, 64 + byte(in), 0);
	hc(SV_HC_VCPU_CREATE, id, 0, PAGE_SIZE, 0, 0);
	if (!(b & 0x40))
		hc(SV_HC_VM_FINALIZE, id, 0, 0, 0, 0);
}

/* Memory attributes and shared memory (issue 13): the VMM's two calls
 * with any arguments, and a guest's own calls on its vCPU by VCPU_RUN's
 * scripted hypercall exits (set_guest_regs reaches 62-64). */
static void op_memattr(struct input *in)
{
	uint64_t id = pick_vm_id(in);

	if (byte(in) & 1)
		hc(SV_HC_VM_SET_MEMORY_ATTRIBUTES, id, pick_span(in), pick_span(in), byte(in) % 3, 0);
	else
		hc(SV_HC_VM_SET_SHARED_MEMORY, id, byte(in) & 1 ? 0 : pick_span(in), pick_handle(in),
		   byte(in) & 1 ? 0 : pick_span(in), 0);
}

static void (*const op_table[])(struct input *) = {
	op_memobj_create, op_memobj_close, op_memobj_set_size, op_memobj_get,
	op_memobj_add_seals, op_memobj_rw, op_memobj_map, op_memobj_unmap,
	op_memobj_fallocate, op_memobj_fallocate, op_vm_create, op_vm_destroy,
	op_vm_set_region, op_vm_populate, op_vm_finalize, op_vm_get_measurement,
	op_vcpu_create, op_vcpu_run, op_console_stats, op_misc,
	op_guest_fault, op_guest_fault, op_map_fault, op_guest_hypercall,
	op_poke, op_launch, op_memattr,
};

/* ---- Per-input set-up and teardown. ---- */

/* Everything the input created goes, through the hypercalls a VMM would
 * use; each must succeed. */
static void teardown(void)
{
	for (unsigned i = 0; i < SV_MAX_MAPS; i++)
		if (control->maps[i].used && hc(SV_HC_MEMOBJ_UNMAP, control->maps[i].gpa, 0, 0, 0, 0))
			fuzz_fail("teardown: MEMOBJ_UNMAP of a live mapping failed");
	for (unsigned id = 1; id < SV_MAX_VMS; id++)
		if (vm_get(id) && hc(SV_HC_VM_DESTROY, id, 0, 0, 0, 0))
			fuzz_fail("teardown: VM_DESTROY %u failed", id);
	for (unsigned h = 0; h < SV_MAX_HANDLES; h++)
		if (control->handles[h] && hc(SV_HC_MEMOBJ_CLOSE, h, 0, 0, 0, 0))
			fuzz_fail("teardown: MEMOBJ_CLOSE %u failed", h);
	fuzz_check_empty(control, free_baseline);
}

/* State outside the hypervisor's own teardown: the fake's script, the
 * control partition's secondary vCPUs and the RAM the input wrote. */
static void reset(void)
{
	fake_reset();
	for (unsigned i = 1; i < SV_MAX_VCPUS; i++)
		memset(&control->vcpus[i], 0, sizeof(control->vcpus[i]));
	if (dirty_lo < dirty_hi)
		memset(vm_guest_ptr(control, dirty_lo, dirty_hi - dirty_lo), 0, dirty_hi - dirty_lo);
	dirty_lo = ~0UL;
	dirty_hi = 0;
	nr_trace = 0;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	trace_live = getenv("FUZZ_TRACE") && *getenv("FUZZ_TRACE") == '1';
	fuzz_arena_init(FUZZ_ARENA_BYTES);
	memset(vms, 0, sizeof(vms));
	if (vm_create_control(FUZZ_CONTROL_RAM, &control))
		fuzz_fail("vm_create_control failed");
	/* A key, so guests' GET_REPORT signs (hv/attest_key.c, BearSSL). */
	static const uint8_t seed[32] = "fuzz_hypercalls: a fixed seed";
	static const char text[] = "text", rodata[] = "rodata";
	static const struct attest_image image = {
		.text = text, .text_len = sizeof(text), .rodata = rodata, .rodata_len = sizeof(rodata),
	};
	if (attest_key_init(seed, sizeof(seed), &image))
		fuzz_fail("attest_key_init failed");
	free_baseline = pmm_free_pages();
	fuzz_check_step(control, "initialisation");
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input in = { data, size };

	reset();
	for (unsigned step = 0; in.n && step < MAX_STEPS; step++)
		op_table[byte(&in) % NELEMS(op_table)](&in);
	teardown();
	return 0;
}
