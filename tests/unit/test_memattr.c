/*
 * Private and shared memory (issue 13, hv/memattr*.c) on the host with the
 * fake backend: the bitmaps, the fault decision, the VMM's attribute calls
 * and their argument checks, the guest's ACCEPT / MAP_GPA / VE_INFO, and
 * the attacks: a VMM punching an accepted page, converting without being
 * asked, claiming a conversion it did not make, binding a GUEST object as
 * shared memory; a guest naming memory that is not its own.
 */
#include <pthread.h>
#include <string.h>
#include <sealvisor/errno.h>
#include "hv/guest_fetch.h"
#include "hv/hypercall.h"
#include "hv/memattr_vm.h"
#include "hv/run.h"
#include "hv/vm.h"
#include "mm/phys.h"
#include "lib/sha256.h"
#include "mm/pmm.h"
#include "tests/tools/launch_stream.h"
#include "tests/unit/fake_virt.h"
#include "tests/unit/unit.h"

#define MB (1UL << 20)
#define PUNCH (MEMOBJ_FALLOC_PUNCH_HOLE | MEMOBJ_FALLOC_KEEP_SIZE)
#define REGION (4 * MB)

static uint64_t free0;
static struct vm *control, *vm;
static struct memobj *priv, *shared;

static void setup(void)
{
	unit_machine(96 * MB);
	free0 = pmm_free_pages();
	hypercall_audit = true;
	ck_assert_int_eq(vm_create_control(4 * MB, &control), 0);
	ck_assert_int_eq(memobj_create(MEMOBJ_ALLOW_SEALING, &priv), 0);
	ck_assert_int_eq(memobj_add_seals(priv, MEMOBJ_SEAL_GUEST), 0);
	ck_assert_int_eq(memobj_set_size(priv, REGION), 0);
	ck_assert_int_eq(memobj_create(MEMOBJ_ALLOW_SEALING, &shared), 0);
	ck_assert_int_eq(memobj_set_size(shared, REGION), 0);
	control->handles[0] = priv;
	control->handles[1] = shared;
	ck_assert_int_eq(vm_create_guest(&vm), 0);
	ck_assert_int_eq(vm_set_region(vm, 0, REGION, priv, 0), 0);
}

static void teardown(void)
{
	hypercall_audit = false;
	for (unsigned i = 0; i < SV_MAX_VMS; i++)
		if (vms[i].in_use)
			vm_destroy(&vms[i]);
	ck_assert_uint_eq(memobj_nr_objects(), 0);
	ck_assert_uint_eq(pmm_free_pages(), free0);   /* nothing leaked */
	arena_unmap();
}

static int64_t hc(uint64_t nr, uint64_t a, uint64_t b, uint64_t c, uint64_t d)
{
	return unit_hc(control, nr, a, b, c, d, 0);
}

/* One guest VMMCALL (rax = nr) on vCPU 0, then a triple fault. */
static int64_t guest_call(uint64_t nr, uint64_t a, uint64_t b, uint64_t c, struct sv_run *run)
{
	struct vcpu *v = &vm->vcpus[0];

	v->regs.rax = nr, v->regs.rdi = a, v->regs.rsi = b, v->regs.rdx = c;
	fake_nexits = fake_next_exit = 0;
	fake_exits[fake_nexits++] = (struct vm_exit){ .reason = VMEXIT_HYPERCALL };
	ck_assert_int_eq(vcpu_run_for_vmm(v, run), 0);
	return (int64_t)v->regs.rax;
}

/* One guest access to gpa: the run's exit (SHUTDOWN after the fault was
 * handled in the hypervisor). */
static uint32_t touch(uint64_t gpa, struct sv_run *run)
{
	fake_nexits = fake_next_exit = 0;
	fake_last_exception = (struct fake_exception){ 0xff, false, 0 };
	fake_exits[fake_nexits++] = (struct vm_exit){ .reason = VMEXIT_NPF, .gpa = gpa };
	ck_assert_int_eq(vcpu_run_for_vmm(&vm->vcpus[0], run), 0);
	return run->exit_reason;
}

static bool mapped(uint64_t gpa, uint64_t *hpa)
{
	unsigned level;
	return stage2_lookup(&vm->s2, gpa, hpa, &level);
}

START_TEST(bitmaps_start_private_and_accepted_and_decide_the_fault)
{
	struct memattr *a;

	ck_assert_int_eq(memattr_create(0, &a), -E2BIG);
	ck_assert_int_eq(memattr_create(SV_MEMATTR_MAX_PAGES + 1, &a), -E2BIG);
	ck_assert_int_eq(memattr_create(130, &a), 0);
	ck_assert(memattr_all(a, 0, 130, false));
	ck_assert(memattr_is_accepted(a, 129));
	ck_assert_int_eq(memattr_decide(a, 5), MEMATTR_MAP_PRIVATE);
	memattr_set_shared(a, 64, true);
	memattr_set_shared(a, 65, true);
	memattr_set_shared(a, 129, true);
	ck_assert_int_eq(memattr_decide(a, 64), MEMATTR_EXIT);     /* no shared backing */
	a->shared_obj = shared;
	ck_assert_int_eq(memattr_decide(a, 64), MEMATTR_MAP_SHARED);
	memattr_set_accepted(a, 64, false);
	memattr_set_accepted(a, 5, false);
	ck_assert_int_eq(memattr_decide(a, 64), MEMATTR_VE);
	ck_assert_int_eq(memattr_decide(a, 5), MEMATTR_VE);
	ck_assert(!memattr_all(a, 63, 2, true) && memattr_all(a, 64, 2, true));
	ck_assert(memattr_any_accepted(a, 4, 2) && !memattr_any_accepted(a, 5, 1));
	a->shared_obj = NULL;
	memattr_free(a);
}
END_TEST

/* The word-at-a-time range checks agree with page-by-page ones on every
 * range of a random pattern (ranges inside a word, across words, whole
 * words, the region's tail). */
START_TEST(range_checks_agree_with_page_by_page)
{
	struct memattr *a;
	uint64_t seed = 0x9e3779b97f4a7c15UL;

	ck_assert_int_eq(memattr_create(300, &a), 0);
	for (unsigned round = 0; round < 40; round++) {
		for (uint64_t pg = 0; pg < 300; pg++) {
			seed = seed * 6364136223846793005UL + 1442695040888963407UL;
			/* Mostly long runs, so that "all" is sometimes true. */
			memattr_set_shared(a, pg, (seed >> 60) < (round % 3 ? 1 : 15));
			memattr_set_accepted(a, pg, (seed >> 56 & 15) < (round % 2 ? 15 : 2));
		}
		for (uint64_t pg = 0; pg < 300; pg += 7)
			for (uint64_t n = 1; pg + n <= 300; n += 13) {
				bool all_sh = true, all_pr = true, any_acc = false, pa = true;
				for (uint64_t i = pg; i < pg + n; i++) {
					all_sh &= memattr_is_shared(a, i);
					all_pr &= !memattr_is_shared(a, i);
					any_acc |= memattr_is_accepted(a, i);
					pa &= !memattr_is_shared(a, i) && memattr_is_accepted(a, i);
				}
				ck_assert(memattr_all(a, pg, n, true) == all_sh);
				ck_assert(memattr_all(a, pg, n, false) == all_pr);
				ck_assert(memattr_any_accepted(a, pg, n) == any_acc);
				ck_assert(memattr_private_accepted(a, pg, n) == pa);
			}
		/* Withdrawal: private pages lose acceptance, nothing else moves. */
		bool sh[300], acc[300];
		for (uint64_t pg = 0; pg < 300; pg++)
			sh[pg] = memattr_is_shared(a, pg), acc[pg] = memattr_is_accepted(a, pg);
		uint64_t from = (round * 37) % 300, n = 1 + (round * 71) % (300 - from);
		memattr_withdraw_private(a, from, n);
		for (uint64_t pg = 0; pg < 300; pg++) {
			bool inside = pg >= from && pg < from + n;
			ck_assert(memattr_is_shared(a, pg) == sh[pg]);
			ck_assert(memattr_is_accepted(a, pg) == (acc[pg] && !(inside && !sh[pg])));
		}
	}
	memattr_free(a);
}
END_TEST

/* The word-at-a-time range checks at their edges, every range [pg, +n)
 * of a 300-page region (n == 0 included, pg + n up to the region's end):
 * every page the same but at most one odd page at a word edge, and the
 * bits past the region's end (the last word's top 20) set against the
 * answer, so a range check reading past its range or the region shows. */
static void range_edges_pattern(struct memattr *a, bool base, uint64_t odd)
{
	for (uint64_t pg = 0; pg < 300; pg++) {
		memattr_set_shared(a, pg, base != (pg == odd));
		memattr_set_accepted(a, pg, base != (pg == odd));
	}
	for (uint64_t pg = 300; pg < 320; pg++) {
		memattr_set_shared(a, pg, !base);
		memattr_set_accepted(a, pg, !base);
	}
}

START_TEST(range_checks_at_word_edges_and_the_region_end)
{
	static const uint64_t odds[] = { 0, 1, 62, 63, 64, 65, 127, 128, 255, 256, 298, 299, ~0UL };
	struct memattr *a;

	ck_assert_int_eq(memattr_create(300, &a), 0);
	for (unsigned b = 0; b < 2; b++)
		for (unsigned k = 0; k < sizeof(odds) / sizeof(odds[0]); k++) {
			range_edges_pattern(a, b, odds[k]);
			for (uint64_t pg = 0; pg <= 300; pg++) {
				bool all_sh = true, all_pr = true, any_acc = false, pa = true;
				for (uint64_t n = 0; pg + n <= 300; n++) {
					if (n) {
						uint64_t i = pg + n - 1;
						all_sh &= memattr_is_shared(a, i);
						all_pr &= !memattr_is_shared(a, i);
						any_acc |= memattr_is_accepted(a, i);
						pa &= !memattr_is_shared(a, i) && memattr_is_accepted(a, i);
					}
					/* ck_assert costs a system call: only on a miss. */
					if (memattr_all(a, pg, n, true) != all_sh ||
					    memattr_all(a, pg, n, false) != all_pr ||
					    memattr_any_accepted(a, pg, n) != any_acc ||
					    memattr_private_accepted(a, pg, n) != pa)
						ck_abort_msg("base %u, odd page %lu: range [%lu, +%lu) "
							     "answered wrong", b, odds[k], pg, n);
				}
			}
		}
	memattr_free(a);
}
END_TEST

START_TEST(vmm_attribute_calls_check_every_argument_and_change_nothing_on_error)
{
	struct memobj *plain;

	ck_assert_int_eq(hc(SV_HC_VM_SET_MEMORY_ATTRIBUTES, 99, 0, 4096, 1), -ENOENT);
	ck_assert_int_eq(hc(SV_HC_VM_SET_MEMORY_ATTRIBUTES, 0, 0, 4096, 1), -ENOENT);   /* control */
	ck_assert_int_eq(hc(SV_HC_VM_SET_MEMORY_ATTRIBUTES, vm->id, 1, 4096, 1), -EINVAL);
	ck_assert_int_eq(hc(SV_HC_VM_SET_MEMORY_ATTRIBUTES, vm->id, 0, 0, 1), -EINVAL);
	ck_assert_int_eq(hc(SV_HC_VM_SET_MEMORY_ATTRIBUTES, vm->id, 0, REGION + 4096, 1), -EINVAL);
	ck_assert_int_eq(hc(SV_HC_VM_SET_MEMORY_ATTRIBUTES, vm->id, REGION, 4096, 1), -EINVAL);
	ck_assert_int_eq(hc(SV_HC_VM_SET_MEMORY_ATTRIBUTES, vm->id, 0, 4096, 2), -EINVAL);
	ck_assert_int_eq(hc(SV_HC_VM_SET_MEMORY_ATTRIBUTES, vm->id, 4096, ~0UL & PAGE_MASK, 1),
			 -EINVAL);
	ck_assert_ptr_null(vm->regions[0].attr);
	ck_assert_int_eq(hc(SV_HC_VM_SET_SHARED_MEMORY, vm->id, 4096, 1, 0), -EINVAL);  /* not a region start */
	ck_assert_int_eq(hc(SV_HC_VM_SET_SHARED_MEMORY, vm->id, 0, 1, 1), -EINVAL);     /* unaligned */
	ck_assert_int_eq(hc(SV_HC_VM_SET_SHARED_MEMORY, vm->id, 0, 7, 0), -EBADF);
	/* A GUEST object is never shared memory, its own region's least of all. */
	ck_assert_int_eq(hc(SV_HC_VM_SET_SHARED_MEMORY, vm->id, 0, 0, 0), -EPERM);
	ck_assert_ptr_null(vm->regions[0].attr ? vm->regions[0].attr->shared_obj : NULL);
	ck_assert_int_eq(hc(SV_HC_VM_SET_SHARED_MEMORY, vm->id, 0, 1, 0), 0);
	ck_assert_int_eq(hc(SV_HC_VM_SET_SHARED_MEMORY, vm->id, 0, 1, 0), -EEXIST);
	/* Bound as shared memory, it can no longer become GUEST or read-only. */
	ck_assert_int_eq(memobj_add_seals(shared, MEMOBJ_SEAL_GUEST), -EBUSY);
	ck_assert_int_eq(memobj_add_seals(shared, MEMOBJ_SEAL_WRITE), -EBUSY);
	/* A region that is not GUEST-sealed has no private memory to speak of. */
	ck_assert_int_eq(memobj_create(MEMOBJ_ALLOW_SEALING, &plain), 0);
	ck_assert_int_eq(memobj_set_size(plain, MB), 0);
	ck_assert_int_eq(vm_set_region(vm, 16 * MB, MB, plain, 0), 0);
	ck_assert_int_eq(hc(SV_HC_VM_SET_MEMORY_ATTRIBUTES, vm->id, 16 * MB, 4096, 1), -EPERM);
	ck_assert_ptr_null(vm->regions[1].attr);
	memobj_close(plain);
}
END_TEST

/* Record 9 is there only for a region with attributes, and says which
 * pages start shared. */
START_TEST(shared_pages_at_launch_are_measured)
{
	uint8_t plain[32], one[32], two[32];
	struct vm *b, *c;
	struct memobj *pb, *pc;

	fake_launch(vm);
	memcpy(plain, vm->measurement, 32);
	ck_assert_int_eq(memobj_create(MEMOBJ_ALLOW_SEALING, &pb), 0);
	ck_assert_int_eq(memobj_add_seals(pb, MEMOBJ_SEAL_GUEST), 0);
	ck_assert_int_eq(memobj_set_size(pb, REGION), 0);
	ck_assert_int_eq(memobj_create(MEMOBJ_ALLOW_SEALING, &pc), 0);
	ck_assert_int_eq(memobj_add_seals(pc, MEMOBJ_SEAL_GUEST), 0);
	ck_assert_int_eq(memobj_set_size(pc, REGION), 0);
	ck_assert_int_eq(vm_create_guest(&b), 0);
	ck_assert_int_eq(vm_set_region(b, 0, REGION, pb, 0), 0);
	ck_assert_int_eq(vm_set_memory_attributes(b, MB, 8192, SV_MEMATTR_SHARED), 0);
	fake_launch(b);
	memcpy(one, b->measurement, 32);
	ck_assert_int_eq(vm_create_guest(&c), 0);
	ck_assert_int_eq(vm_set_region(c, 0, REGION, pc, 0), 0);
	ck_assert_int_eq(vm_set_memory_attributes(c, MB, 4096, SV_MEMATTR_SHARED), 0);
	fake_launch(c);
	memcpy(two, c->measurement, 32);
	ck_assert(memcmp(plain, one, 32) && memcmp(one, two, 32) && memcmp(plain, two, 32));
	/* Launch pages are accepted as measured, shared ones too. */
	ck_assert_int_eq(memattr_decide(b->regions[0].attr, MB >> 12), MEMATTR_EXIT);
	ck_assert_int_eq(memattr_decide(c->regions[0].attr, MB >> 12), MEMATTR_EXIT);
	ck_assert_int_eq(memattr_decide(c->regions[0].attr, (MB >> 12) + 1), MEMATTR_MAP_PRIVATE);
	memobj_close(pb);
	memobj_close(pc);
}
END_TEST

static void to_sha(void *ctx, const void *data, size_t len)
{
	sha256_update(ctx, data, len);
}

/* The verifier's side (tests/tools/launch_stream.c, written from the
 * README) composes record 9 and gets the hypervisor's digest; pages set
 * shared and back private before finalize leave no run. */
START_TEST(record_9_is_what_the_readme_says)
{
	static const uint64_t runs[2][2] = { { 0, 8192 }, { MB + 4096, 3 * 4096 } };
	struct sha256 h;
	struct ls_sink s = { to_sha, &h };
	struct sv_regs regs;
	struct sv_sregs sregs;
	uint8_t want[32];

	ck_assert_int_eq(vm_set_memory_attributes(vm, 0, 8192, SV_MEMATTR_SHARED), 0);
	ck_assert_int_eq(vm_set_memory_attributes(vm, MB, 5 * 4096, SV_MEMATTR_SHARED), 0);
	ck_assert_int_eq(vm_set_memory_attributes(vm, MB, 4096, SV_MEMATTR_PRIVATE), 0);
	ck_assert_int_eq(vm_set_memory_attributes(vm, MB + 4 * 4096, 4096, SV_MEMATTR_PRIVATE), 0);
	fake_launch(vm);
	sha256_init(&h);
	ls_header(&s);
	ls_region(&s, 0, REGION, 0, MEMOBJ_SEAL_GUEST);
	ls_memattr(&s, 0, runs, 2);
	ls_cpuid(&s, NULL, 0);
	ls_msr_policy(&s, SV_MSR_POLICY_GP);
	ls_vcpu_count(&s, 1);
	ls_default_state(&(struct sv_vcpu_regs){ 0 }, &regs, &sregs);
	ls_vcpu_state(&s, 0, &regs, &sregs);
	sha256_final(&h, want);
	ck_assert_mem_eq(vm->measurement, want, 32);
}
END_TEST

START_TEST(a_shared_page_without_backing_exits_then_maps_the_shared_object)
{
	struct sv_run run = { 0 };
	uint64_t hpa;

	fake_launch(vm);
	ck_assert_int_eq(hc(SV_HC_VM_SET_MEMORY_ATTRIBUTES, vm->id, MB, 2 * 4096, SV_MEMATTR_SHARED), 0);
	/* Changed after finalize without the guest asking: #VE, not the page. */
	ck_assert_uint_eq(touch(MB + 4096 + 8, &run), SV_EXIT_SHUTDOWN);
	ck_assert_uint_eq(fake_last_exception.vector, SV_VE_VECTOR);
	ck_assert(!fake_last_exception.has_error);
	ck_assert(!mapped(MB + 4096, &hpa));
	ck_assert_int_eq(guest_call(SV_HC_GUEST_VE_INFO, 0, 0, 0, &run), MB + 4096 + 8);
	ck_assert_int_eq(guest_call(SV_HC_GUEST_VE_INFO, 0, 0, 0, &run), -ENOENT);
	/* The guest asks for them (MAP_GPA): the VMM says it did it. */
	ck_assert_int_eq(guest_call(SV_HC_GUEST_MAP_GPA, MB, 2 * 4096, 1, &run), (int64_t)SV_HC_GUEST_MAP_GPA);
	ck_assert_uint_eq(run.exit_reason, SV_EXIT_MAP_GPA);
	ck_assert_uint_eq(run.memory.gpa, MB);
	ck_assert_uint_eq(run.memory.size, 2 * 4096);
	ck_assert_uint_eq(run.memory.attributes, SV_MEMATTR_SHARED);
	run.memory.ret = 0;
	fake_nexits = fake_next_exit = 0;
	ck_assert_int_eq(vcpu_run_for_vmm(&vm->vcpus[0], &run), 0);
	ck_assert_int_eq((int64_t)vm->vcpus[0].regs.rax, 0);
	/* No shared backing yet: the memory-fault exit says what is wanted. */
	ck_assert_uint_eq(touch(MB + 4096 + 8, &run), SV_EXIT_MEMORY_FAULT);
	ck_assert_uint_eq(run.memory.gpa, MB + 4096);
	ck_assert_uint_eq(run.memory.size, 4096);
	ck_assert_uint_eq(run.memory.attributes, SV_MEMATTR_SHARED);
	ck_assert_int_eq(hc(SV_HC_VM_SET_SHARED_MEMORY, vm->id, 0, 1, 0), 0);
	ck_assert_int_eq(memobj_write(shared, MB + 4096, "bounce", 6), 6);
	ck_assert_uint_eq(touch(MB + 4096 + 8, &run), SV_EXIT_SHUTDOWN);
	ck_assert(mapped(MB + 4096, &hpa));
	ck_assert_mem_eq(phys_to_virt(hpa), "bounce", 6);
	/* The hypervisor's own reads (instruction decode) see what the guest
	 * sees: the shared page, and nothing of an unaccepted one. */
	char got[6];
	ck_assert_int_eq(guest_read_gpa(vm, MB + 4096, got, 6), 0);
	ck_assert_mem_eq(got, "bounce", 6);
	ck_assert_int_eq(hc(SV_HC_VM_SET_MEMORY_ATTRIBUTES, vm->id, 2 * MB, 4096, SV_MEMATTR_SHARED), 0);
	ck_assert_int_eq(guest_read_gpa(vm, 2 * MB, got, 6), -EFAULT);
	/* The VMM punches its shared page: it leaves the guest's stage-2. */
	ck_assert_int_eq(memobj_fallocate(shared, PUNCH, MB + 4096, 4096), 0);
	ck_assert(!mapped(MB + 4096, &hpa));
	/* Past the shared object's end: a memory-fault exit too. */
	ck_assert_int_eq(memobj_set_size(shared, MB), 0);
	ck_assert_uint_eq(touch(MB + 4096, &run), SV_EXIT_MEMORY_FAULT);
}
END_TEST

START_TEST(a_punched_accepted_page_raises_ve_until_the_guest_accepts_a_zero_page)
{
	struct sv_run run = { 0 };
	uint64_t hpa;

	fake_launch(vm);
	ck_assert_uint_eq(touch(2 * MB + 4096, &run), SV_EXIT_SHUTDOWN);
	ck_assert(mapped(2 * MB + 4096, &hpa));
	memcpy(phys_to_virt(hpa), "secret", 6);
	/* Attributes on since finalize (ACCEPT: already accepted), then the VMM punches. */
	ck_assert_int_eq(guest_call(SV_HC_GUEST_ACCEPT, 2 * MB + 4096, 4096, 0, &run), -EEXIST);
	ck_assert_int_eq(hc(SV_HC_MEMOBJ_FALLOCATE, 0, PUNCH, 2 * MB + 4096, 4096), 0);
	ck_assert(!mapped(2 * MB + 4096, &hpa));
	ck_assert_uint_eq(touch(2 * MB + 4096 + 16, &run), SV_EXIT_SHUTDOWN);
	ck_assert_uint_eq(fake_last_exception.vector, SV_VE_VECTOR);
	ck_assert(!mapped(2 * MB + 4096, &hpa));
	ck_assert_int_eq(guest_call(SV_HC_GUEST_VE_INFO, 0, 0, 0, &run), 2 * MB + 4096 + 16);
	/* Bad accepts change nothing. */
	ck_assert_int_eq(guest_call(SV_HC_GUEST_ACCEPT, 2 * MB + 4096, 8192, 0, &run), -EINVAL);
	ck_assert_int_eq(guest_call(SV_HC_GUEST_ACCEPT, 2 * MB + 4097, 4096, 0, &run), -EINVAL);
	ck_assert_int_eq(guest_call(SV_HC_GUEST_ACCEPT, 2 * MB, 2 * MB, 0, &run), -EEXIST);
	ck_assert_int_eq(guest_call(SV_HC_GUEST_ACCEPT, REGION, 4096, 0, &run), -EINVAL);
	ck_assert_int_eq(guest_call(SV_HC_GUEST_ACCEPT, ~0UL & PAGE_MASK, 4096, 0, &run), -EINVAL);
	ck_assert_uint_eq(touch(2 * MB + 4096, &run), SV_EXIT_SHUTDOWN);
	ck_assert_uint_eq(fake_last_exception.vector, SV_VE_VECTOR);
	ck_assert_int_eq(guest_call(SV_HC_GUEST_ACCEPT, 2 * MB + 4096, 4096, 0, &run), 0);
	ck_assert_int_eq(guest_call(SV_HC_GUEST_ACCEPT, 2 * MB + 4096, 4096, 0, &run), -EEXIST);
	ck_assert_uint_eq(touch(2 * MB + 4096, &run), SV_EXIT_SHUTDOWN);
	ck_assert_uint_eq(fake_last_exception.vector, 0xff);
	ck_assert(mapped(2 * MB + 4096, &hpa));
	for (unsigned i = 0; i < 4096; i++)
		ck_assert_uint_eq(((uint8_t *)phys_to_virt(hpa))[i], 0);
	/* The hypervisor's own copies for the guest (attestation) reach only
	 * what the guest's access would: an unaccepted page is -EFAULT and
	 * nothing changes; a shared page is the shared object's. */
	ck_assert_int_eq(hc(SV_HC_MEMOBJ_FALLOCATE, 0, PUNCH, 2 * MB + 4096, 4096), 0);
	uint8_t rtmr[32];
	memcpy(rtmr, vm->rtmr[0], 32);
	ck_assert_int_eq(unit_hc(vm, SV_HC_GUEST_EXTEND, 0, 2 * MB + 4096, 0, 0, 0), -EFAULT);
	ck_assert_mem_eq(vm->rtmr[0], rtmr, 32);
	ck_assert_int_eq(unit_hc(vm, SV_HC_GUEST_EXTEND, 0, 2 * MB + 8192, 0, 0, 0), 0);
	ck_assert(memcmp(vm->rtmr[0], rtmr, 32));
	/* The VMM still cannot read or map the private object. */
	ck_assert_int_lt(memobj_read(priv, 2 * MB, (char[8]){ 0 }, 8), 0);
	ck_assert_int_eq(memobj_map(priv, 0), -EPERM);
}
END_TEST

START_TEST(a_vmm_cannot_claim_a_conversion_it_did_not_make)
{
	struct sv_run run = { 0 };

	fake_launch(vm);
	ck_assert_int_eq(guest_call(SV_HC_GUEST_MAP_GPA, MB, 4096, 1, &run), (int64_t)SV_HC_GUEST_MAP_GPA);
	run.memory.ret = 0;           /* "done", but it did nothing */
	fake_nexits = fake_next_exit = 0;
	ck_assert_int_eq(vcpu_run_for_vmm(&vm->vcpus[0], &run), 0);
	ck_assert_int_eq((int64_t)vm->vcpus[0].regs.rax, -EIO);
	ck_assert(!memattr_is_shared(vm->regions[0].attr, MB >> 12));
	/* Its refusal reaches the guest as it is; nonsense becomes -EIO. */
	ck_assert_int_eq(guest_call(SV_HC_GUEST_MAP_GPA, MB, 4096, 1, &run), (int64_t)SV_HC_GUEST_MAP_GPA);
	run.memory.ret = -EPERM;
	fake_nexits = fake_next_exit = 0;
	ck_assert_int_eq(vcpu_run_for_vmm(&vm->vcpus[0], &run), 0);
	ck_assert_int_eq((int64_t)vm->vcpus[0].regs.rax, -EPERM);
	ck_assert_int_eq(guest_call(SV_HC_GUEST_MAP_GPA, MB, 4096, 1, &run), (int64_t)SV_HC_GUEST_MAP_GPA);
	run.memory.ret = 5;
	fake_nexits = fake_next_exit = 0;
	ck_assert_int_eq(vcpu_run_for_vmm(&vm->vcpus[0], &run), 0);
	ck_assert_int_eq((int64_t)vm->vcpus[0].regs.rax, -EIO);
	/* Back to private after sharing: the guest must accept it again. */
	ck_assert_int_eq(guest_call(SV_HC_GUEST_MAP_GPA, MB, 4096, 1, &run), (int64_t)SV_HC_GUEST_MAP_GPA);
	ck_assert_int_eq(hc(SV_HC_VM_SET_MEMORY_ATTRIBUTES, vm->id, MB, 4096, SV_MEMATTR_SHARED), 0);
	run.memory.ret = 0;
	fake_nexits = fake_next_exit = 0;
	ck_assert_int_eq(vcpu_run_for_vmm(&vm->vcpus[0], &run), 0);
	ck_assert_int_eq((int64_t)vm->vcpus[0].regs.rax, 0);
	ck_assert_int_eq(guest_call(SV_HC_GUEST_MAP_GPA, MB, 4096, 0, &run), (int64_t)SV_HC_GUEST_MAP_GPA);
	ck_assert_int_eq(hc(SV_HC_VM_SET_MEMORY_ATTRIBUTES, vm->id, MB, 4096, SV_MEMATTR_PRIVATE), 0);
	run.memory.ret = 0;
	fake_nexits = fake_next_exit = 0;
	ck_assert_int_eq(vcpu_run_for_vmm(&vm->vcpus[0], &run), 0);
	ck_assert_int_eq((int64_t)vm->vcpus[0].regs.rax, 0);
	ck_assert_uint_eq(touch(MB, &run), SV_EXIT_SHUTDOWN);
	ck_assert_uint_eq(fake_last_exception.vector, SV_VE_VECTOR);
	ck_assert_int_eq(guest_call(SV_HC_GUEST_ACCEPT, MB, 4096, 0, &run), 0);
}
END_TEST

START_TEST(a_guest_cannot_name_memory_that_is_not_its_own)
{
	struct sv_run run = { 0 };
	static const uint64_t bad[][3] = {
		{ REGION, 4096, 1 },             /* past its region */
		{ REGION - 4096, 8192, 1 },      /* straddles the end */
		{ 0x3ff00000, 4096, 1 },         /* MMIO, no region */
		{ MB + 1, 4096, 1 },             /* unaligned */
		{ MB, 0, 1 },                    /* empty */
		{ MB, 4096, 2 },                 /* no such attribute */
		{ ~0UL & PAGE_MASK, 8192, 1 },   /* wraps */
	};

	fake_launch(vm);
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		run.exit_reason = 0xff;
		ck_assert_int_eq(guest_call(SV_HC_GUEST_MAP_GPA, bad[i][0], bad[i][1], bad[i][2], &run),
				 -EINVAL);
		ck_assert_uint_ne(run.exit_reason, SV_EXIT_MAP_GPA);
	}
	/* The control partition has no such memory. */
	ck_assert_int_eq(hc(SV_HC_GUEST_ACCEPT, MB, 4096, 0, 0), -EPERM);
	ck_assert_int_eq(hc(SV_HC_GUEST_MAP_GPA, MB, 4096, 1, 0), -EPERM);
	ck_assert_int_eq(hc(SV_HC_GUEST_VE_INFO, 0, 0, 0, 0), -EPERM);
}
END_TEST

/* Private -> shared destroys the private contents: converting back never
 * shows them again. */
START_TEST(private_to_shared_punches_the_private_contents)
{
	struct sv_run run = { 0 };
	uint64_t hpa, before;

	fake_launch(vm);
	ck_assert_uint_eq(touch(3 * MB, &run), SV_EXIT_SHUTDOWN);
	ck_assert(mapped(3 * MB, &hpa));
	memcpy(phys_to_virt(hpa), "secret", 6);
	before = memobj_nr_pages(priv);
	ck_assert_int_eq(hc(SV_HC_VM_SET_MEMORY_ATTRIBUTES, vm->id, 3 * MB, 4096, SV_MEMATTR_SHARED), 0);
	ck_assert_uint_eq(memobj_nr_pages(priv), before - 1);
	ck_assert(!mapped(3 * MB, &hpa));
	ck_assert_int_eq(hc(SV_HC_VM_SET_MEMORY_ATTRIBUTES, vm->id, 3 * MB, 4096, SV_MEMATTR_PRIVATE), 0);
	ck_assert_int_eq(guest_call(SV_HC_GUEST_ACCEPT, 3 * MB, 4096, 0, &run), 0);
	ck_assert_uint_eq(touch(3 * MB, &run), SV_EXIT_SHUTDOWN);
	ck_assert(mapped(3 * MB, &hpa));
	ck_assert_uint_eq(*(uint64_t *)phys_to_virt(hpa), 0);
	/* A 2 MiB accept of a range the VMM made private again. */
	ck_assert_int_eq(hc(SV_HC_VM_SET_MEMORY_ATTRIBUTES, vm->id, 2 * MB, 2 * MB, SV_MEMATTR_SHARED), 0);
	ck_assert_int_eq(guest_call(SV_HC_GUEST_ACCEPT, 2 * MB, 2 * MB, 0, &run), -EINVAL);  /* shared */
	ck_assert_int_eq(hc(SV_HC_VM_SET_MEMORY_ATTRIBUTES, vm->id, 2 * MB, 2 * MB, SV_MEMATTR_PRIVATE), 0);
	ck_assert_int_eq(guest_call(SV_HC_GUEST_ACCEPT, 2 * MB, 2 * MB, 0, &run), 0);
	ck_assert_uint_eq(touch(3 * MB + 8192, &run), SV_EXIT_SHUTDOWN);
	ck_assert_uint_eq(fake_last_exception.vector, 0xff);
}
END_TEST

/* CPU 1 faults one page over and over while CPU 0 converts it back and
 * forth (the guest asking and accepting each time, so both kinds get
 * mapped): the audit after every hypercall, which runs while CPU 1 may be
 * installing, never sees a leaf the attributes forbid. */
static volatile bool faulting;

static void *fault_on_cpu1(void *arg)
{
	(void)arg;
	fake_set_cpu(1);
	while (__atomic_load_n(&faulting, __ATOMIC_ACQUIRE))
		vm_handle_fault(vm, (3 * MB + 8192));
	return NULL;
}

/* The guest's calls straight into hv/memattr_guest.c (not through the
 * fake's entries, which read the page allocator's counters unlocked). */
static int64_t direct_call(uint64_t nr, uint64_t a, uint64_t b, uint64_t c, struct sv_run *run)
{
	struct vcpu *v = &vm->vcpus[0];

	v->regs.rax = nr, v->regs.rdi = a, v->regs.rsi = b, v->regs.rdx = c;
	if (memattr_guest_call(v, run)) {
		run->memory.ret = hc(SV_HC_VM_SET_MEMORY_ATTRIBUTES, vm->id, a, b, c);
		v->regs.rax = (uint64_t)memattr_map_gpa_answer(v, run);
	}
	return (int64_t)v->regs.rax;
}

START_TEST(a_fault_racing_conversions_never_maps_what_the_attributes_forbid)
{
	struct sv_run run = { 0 };
	pthread_t t;
	uint64_t hpa;

	fake_launch(vm);
	ck_assert_int_eq(hc(SV_HC_VM_SET_SHARED_MEMORY, vm->id, 0, 1, 0), 0);
	faulting = true;
	ck_assert_int_eq(pthread_create(&t, NULL, fault_on_cpu1, NULL), 0);
	for (unsigned i = 0; i < 600; i++) {
		ck_assert_int_eq(direct_call(SV_HC_GUEST_MAP_GPA, 3 * MB + 8192, 4096, 1, &run), 0);
		ck_assert_int_eq(direct_call(SV_HC_GUEST_MAP_GPA, 3 * MB + 8192, 4096, 0, &run), 0);
		ck_assert_int_eq(direct_call(SV_HC_GUEST_ACCEPT, 3 * MB + 8192, 4096, 0, &run), 0);
	}
	__atomic_store_n(&faulting, false, __ATOMIC_RELEASE);
	pthread_join(t, NULL);
	ck_assert_int_eq(vm_audit(), 0);
	if (mapped((3 * MB + 8192), &hpa))
		ck_assert_uint_eq(pmm_meta(hpa)->owner, memobj_id(priv));
}
END_TEST

/*
 * Acceptance is on for every GUEST region from VM_FINALIZE, with no
 * attribute call at all: the VMM's punch of a page the guest used is a
 * #VE at that gpa, never a silent zero page; a 2 MiB leaf still maps a
 * block whose pages are all private and accepted, and a punch inside it
 * leaves the rest mapped in 4 KiB pages, the punched one not at all.
 */
START_TEST(every_guest_region_has_acceptance_from_finalize_without_any_call)
{
	struct sv_run run = { 0 };
	struct memobj *plain;
	unsigned level;
	uint64_t hpa;

	ck_assert_int_eq(memobj_create(MEMOBJ_ALLOW_SEALING, &plain), 0);
	ck_assert_int_eq(memobj_set_size(plain, MB), 0);
	ck_assert_int_eq(vm_set_region(vm, 16 * MB, MB, plain, 0), 0);
	ck_assert_int_eq(memobj_fallocate(priv, 0, 0, 2 * MB), 0);   /* one extent */
	ck_assert_ptr_null(vm->regions[0].attr);
	fake_launch(vm);
	ck_assert_ptr_nonnull(vm->regions[0].attr);
	ck_assert_ptr_null(vm->regions[1].attr);         /* not GUEST-sealed: no private memory */
	ck_assert_int_eq(guest_call(SV_HC_GUEST_ACCEPT, 16 * MB, 4096, 0, &run), -EPERM);
	ck_assert_int_eq(guest_call(SV_HC_GUEST_MAP_GPA, 16 * MB, 4096, 1, &run), -EPERM);
	ck_assert_ptr_null(vm->regions[1].attr);
	ck_assert(memattr_private_accepted(vm->regions[0].attr, 0, REGION >> PAGE_SHIFT));
	/* Accepted as launched: a 2 MiB leaf over the extent, 4 KiB elsewhere. */
	ck_assert_uint_eq(touch(0x5000, &run), SV_EXIT_SHUTDOWN);
	ck_assert_uint_eq(fake_last_exception.vector, 0xff);
	ck_assert(stage2_lookup(&vm->s2, 0x5000, &hpa, &level) && level == 1);
	ck_assert_uint_eq(touch(2 * MB + 4096, &run), SV_EXIT_SHUTDOWN);
	ck_assert(stage2_lookup(&vm->s2, 2 * MB + 4096, &hpa, &level) && level == 0);
	memcpy(phys_to_virt(hpa), "secret", 6);
	ck_assert_int_eq(vm_audit(), 0);
	/* The VMM punches a page the guest never accepted by any call. */
	ck_assert_int_eq(hc(SV_HC_MEMOBJ_FALLOCATE, 0, PUNCH, 2 * MB + 4096, 4096), 0);
	ck_assert_uint_eq(touch(2 * MB + 4096 + 8, &run), SV_EXIT_SHUTDOWN);
	ck_assert_uint_eq(fake_last_exception.vector, SV_VE_VECTOR);
	ck_assert(!mapped(2 * MB + 4096, &hpa));
	ck_assert_int_eq(guest_call(SV_HC_GUEST_VE_INFO, 0, 0, 0, &run), 2 * MB + 4096 + 8);
	ck_assert_int_eq(guest_call(SV_HC_GUEST_ACCEPT, 2 * MB + 4096, 4096, 0, &run), 0);
	ck_assert_uint_eq(touch(2 * MB + 4096, &run), SV_EXIT_SHUTDOWN);
	ck_assert_uint_eq(fake_last_exception.vector, 0xff);
	ck_assert(mapped(2 * MB + 4096, &hpa));
	ck_assert_int_eq(((uint8_t *)phys_to_virt(hpa))[0], 0);
	/* A punch inside the 2 MiB leaf: the leaf goes, the punched page
	 * raises #VE, its neighbours come back in 4 KiB leaves. */
	ck_assert_int_eq(hc(SV_HC_MEMOBJ_FALLOCATE, 0, PUNCH, 0x3000, 4096), 0);
	ck_assert(!mapped(0x5000, &hpa));
	ck_assert_uint_eq(touch(0x3000, &run), SV_EXIT_SHUTDOWN);
	ck_assert_uint_eq(fake_last_exception.vector, SV_VE_VECTOR);
	ck_assert(!mapped(0x3000, &hpa));
	ck_assert_uint_eq(touch(0x5000, &run), SV_EXIT_SHUTDOWN);
	ck_assert_uint_eq(fake_last_exception.vector, 0xff);
	ck_assert(stage2_lookup(&vm->s2, 0x5000, &hpa, &level) && level == 0);
	ck_assert_int_eq(vm_audit(), 0);
	/* Accepted again, the page is the guest's (a fresh zero page). */
	ck_assert_int_eq(guest_call(SV_HC_GUEST_ACCEPT, 0x3000, 4096, 0, &run), 0);
	memobj_close(plain);
}
END_TEST

/* The bitmaps are allocated at VM_FINALIZE, all of them before any is
 * installed: a region they cannot be had for fails the finalize and
 * changes nothing (no attributes, not finalized, nothing leaked). */
START_TEST(finalize_without_bitmaps_for_every_region_changes_nothing)
{
	struct memobj *huge;
	uint64_t big = (SV_MEMATTR_MAX_PAGES + 1) << PAGE_SHIFT;
	uint8_t digest[32];

	ck_assert_int_eq(memobj_create(MEMOBJ_ALLOW_SEALING, &huge), 0);
	ck_assert_int_eq(memobj_add_seals(huge, MEMOBJ_SEAL_GUEST), 0);
	ck_assert_int_eq(memobj_set_size(huge, big), 0);
	ck_assert_int_eq(vm_set_region(vm, 64UL << 30, big, huge, 0), 0);
	ck_assert_int_eq(vcpu_create(vm, 0, &(struct sv_vcpu_regs){ 0 }), 0);
	memcpy(digest, vm->measurement, 32);
	ck_assert_int_eq(vm_finalize(vm), -E2BIG);
	ck_assert(!vm->finalized);
	ck_assert_ptr_null(vm->regions[0].attr);
	ck_assert_ptr_null(vm->regions[1].attr);
	ck_assert_mem_eq(vm->measurement, digest, 32);
	memobj_close(huge);
}
END_TEST

/* Runs inside the fault after its decision (attr_lock held), before it
 * takes the object lock: the VMM's punch fits there, as it takes only
 * hv_lock and the object lock. */
static void punch_after_the_decision(struct vm *v, uint64_t gpa)
{
	(void)v;
	memattr_fault_race_hook = NULL;
	ck_assert_int_eq(hc(SV_HC_MEMOBJ_FALLOCATE, 0, PUNCH, gpa & PAGE_MASK, 4096), 0);
}

/*
 * The VMM's punch of a private page clears its accepted bit under the
 * object lock alone (the owner callback), while a fault decides under
 * attr_lock and only then takes the object lock: a fault that decided
 * "accepted" just before the punch must not install a fresh page after
 * it. The guest must get #VE (it learns its memory went), never a silent
 * zero page in place of what it had.
 */
START_TEST(a_vmm_punch_racing_a_fault_never_leaves_an_unaccepted_page_mapped)
{
	struct sv_run run = { 0 };
	uint64_t hpa, gpa = 3 * MB + 8192;

	fake_launch(vm);
	ck_assert_int_eq(guest_call(SV_HC_GUEST_ACCEPT, gpa, 4096, 0, &run), -EEXIST);
	memattr_fault_race_hook = punch_after_the_decision;
	ck_assert_int_eq(vm_handle_fault(vm, gpa), VM_FAULT_VE);
	ck_assert_ptr_null(memattr_fault_race_hook);     /* the punch did run */
	ck_assert(!mapped(gpa, &hpa));
	ck_assert_int_eq(vm_audit(), 0);
	ck_assert_uint_eq(touch(gpa, &run), SV_EXIT_SHUTDOWN);
	ck_assert_uint_eq(fake_last_exception.vector, SV_VE_VECTOR);
}
END_TEST


/*
 * The hypervisor's own reads of guest memory (the instruction fetch of
 * an MMIO exit, which runs without hv_lock) decide like a fault and must
 * look again like one: after a VMM punch between the decision and the
 * page, the page is not accepted, so the read is -EFAULT, not the bytes
 * of a fresh zero page decoded as the guest's instruction.
 */
START_TEST(a_vmm_punch_racing_a_guest_memory_read_reads_nothing)
{
	struct sv_run run = { 0 };
	uint64_t gpa = 3 * MB + 8192;
	uint8_t buf[8];

	fake_launch(vm);
	ck_assert_int_eq(guest_call(SV_HC_GUEST_ACCEPT, gpa, 4096, 0, &run), -EEXIST);
	memattr_fault_race_hook = punch_after_the_decision;
	ck_assert_int_eq(guest_read_gpa(vm, gpa + 16, buf, sizeof(buf)), -EFAULT);
	ck_assert_ptr_null(memattr_fault_race_hook);     /* the punch did run */
	ck_assert_int_eq(vm_audit(), 0);
}
END_TEST


/* review5: a guest ACCEPT (one bit at a time) racing a punch's word-wide
 * withdrawal over the same words (pages 64-69 and 190-191 share words
 * with the punched range [70, 190), every fifth page inside is shared):
 * the withdrawal must never lose an ACCEPT it was not asked to undo. */
struct accept_race { struct memattr *a; bool stop; unsigned long punches; };   /* atomics */

static void *punch_loop(void *p)
{
	struct accept_race *ar = p;

	while (!__atomic_load_n(&ar->stop, __ATOMIC_ACQUIRE)) {
		memattr_withdraw_private(ar->a, 70, 120);
		__atomic_fetch_add(&ar->punches, 1, __ATOMIC_RELEASE);
	}
	return NULL;
}

static bool accept_kept(uint64_t pg)
{
	return pg < 70 || pg >= 190 || pg % 5 == 0;
}

START_TEST(a_guest_accept_racing_a_punch_on_the_same_words_is_never_lost)
{
	struct accept_race ar = { .stop = false };
	pthread_t t;

	ck_assert_int_eq(memattr_create(256, &ar.a), 0);
	for (uint64_t pg = 70; pg < 190; pg += 5)
		memattr_set_shared(ar.a, pg, true);
	ck_assert_int_eq(pthread_create(&t, NULL, punch_loop, &ar), 0);
	/* Each kept page in the punched words (64-191) dropped, accepted and
	 * checked at once, until the punch loop has really run alongside (2
	 * shared cores): a withdrawal that wrote back a stale word loses one. */
	for (unsigned long round = 0; round < 200000 || __atomic_load_n(&ar.punches, __ATOMIC_ACQUIRE) < 20000; round++) {
		uint64_t pg = 64 + round % 128;

		if (!accept_kept(pg)) {
			/* A private page being punched: its ACCEPT may land either
			 * side of the withdrawal, and makes the punch write. */
			memattr_set_accepted(ar.a, pg, true);
			continue;
		}
		memattr_set_accepted(ar.a, pg, false);
		memattr_set_accepted(ar.a, pg, true);
		for (volatile int d = 0; d < 20; d++)
			;
		if (!memattr_is_accepted(ar.a, pg))
			ck_abort_msg("round %lu: the ACCEPT of page %lu was lost", round, pg);
	}
	__atomic_store_n(&ar.stop, true, __ATOMIC_RELEASE);
	pthread_join(t, NULL);
	memattr_withdraw_private(ar.a, 70, 120);
	for (uint64_t pg = 0; pg < 256; pg++)
		ck_assert(memattr_is_accepted(ar.a, pg) == accept_kept(pg));
	memattr_free(ar.a);
}
END_TEST

/* review6: vm_invalidate walks the object's regions once, each zap
 * followed by its withdrawal, and a zap over a tree that holds nothing is
 * skipped (stage2_may_hold). A punch across two regions of one object,
 * where the first region's zap empties the tree: the second region's zap
 * is skipped, but its pages must still lose their acceptance (#VE, not a
 * silent zero page), and the first region's mapped page goes. */
START_TEST(a_punch_across_two_regions_withdraws_both_when_the_first_empties_the_tree)
{
	struct sv_run run = { 0 };
	struct memobj *two;
	uint64_t hpa, a = 8 * MB + 0x1000, b = 16 * MB + 0x1000;

	ck_assert_int_eq(memobj_create(MEMOBJ_ALLOW_SEALING, &two), 0);
	ck_assert_int_eq(memobj_add_seals(two, MEMOBJ_SEAL_GUEST), 0);
	ck_assert_int_eq(memobj_set_size(two, 4 * MB), 0);
	control->handles[2] = two;
	ck_assert_int_eq(vm_set_region(vm, 8 * MB, 2 * MB, two, 0), 0);
	ck_assert_int_eq(vm_set_region(vm, 16 * MB, 2 * MB, two, 2 * MB), 0);
	fake_launch(vm);
	ck_assert_uint_eq(touch(a, &run), SV_EXIT_SHUTDOWN);
	ck_assert_uint_eq(fake_last_exception.vector, 0xff);
	ck_assert(mapped(a, &hpa));
	ck_assert(!mapped(b, &hpa));
	ck_assert_uint_eq(vm->s2.leaves, 1);              /* the only translation */
	/* Object pages [1, 513): region A's page 1 on, region B's pages 0 and 1. */
	ck_assert_int_eq(hc(SV_HC_MEMOBJ_FALLOCATE, 2, PUNCH, 0x1000, 2 * MB + 0x1000), 0);
	ck_assert(!stage2_may_hold(&vm->s2));
	ck_assert(!mapped(a, &hpa));
	ck_assert_int_eq(vm_audit(), 0);
	ck_assert_uint_eq(touch(a + 8, &run), SV_EXIT_SHUTDOWN);
	ck_assert_uint_eq(fake_last_exception.vector, SV_VE_VECTOR);
	ck_assert_uint_eq(touch(b + 8, &run), SV_EXIT_SHUTDOWN);
	ck_assert_uint_eq(fake_last_exception.vector, SV_VE_VECTOR);
	ck_assert_uint_eq(touch(16 * MB, &run), SV_EXIT_SHUTDOWN);
	ck_assert_uint_eq(fake_last_exception.vector, SV_VE_VECTOR);
	ck_assert(!mapped(b, &hpa));
	/* Outside the punch both regions are as launched. */
	ck_assert_uint_eq(touch(8 * MB, &run), SV_EXIT_SHUTDOWN);
	ck_assert_uint_eq(fake_last_exception.vector, 0xff);
	ck_assert_uint_eq(touch(16 * MB + 0x2000, &run), SV_EXIT_SHUTDOWN);
	ck_assert_uint_eq(fake_last_exception.vector, 0xff);
	ck_assert_int_eq(vm_audit(), 0);
}
END_TEST

Suite *memattr_suite(void)
{
	Suite *s = suite_create("memattr");
	TCase *tc = tcase_create("memattr");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, bitmaps_start_private_and_accepted_and_decide_the_fault);
	tcase_add_test(tc, range_checks_agree_with_page_by_page);
	tcase_add_test(tc, range_checks_at_word_edges_and_the_region_end);
	tcase_add_test(tc, vmm_attribute_calls_check_every_argument_and_change_nothing_on_error);
	tcase_add_test(tc, shared_pages_at_launch_are_measured);
	tcase_add_test(tc, record_9_is_what_the_readme_says);
	tcase_add_test(tc, a_shared_page_without_backing_exits_then_maps_the_shared_object);
	tcase_add_test(tc, a_punched_accepted_page_raises_ve_until_the_guest_accepts_a_zero_page);
	tcase_add_test(tc, a_vmm_cannot_claim_a_conversion_it_did_not_make);
	tcase_add_test(tc, a_guest_cannot_name_memory_that_is_not_its_own);
	tcase_add_test(tc, private_to_shared_punches_the_private_contents);
	tcase_add_test(tc, a_fault_racing_conversions_never_maps_what_the_attributes_forbid);
	tcase_add_test(tc, every_guest_region_has_acceptance_from_finalize_without_any_call);
	tcase_add_test(tc, finalize_without_bitmaps_for_every_region_changes_nothing);
	tcase_add_test(tc, a_vmm_punch_racing_a_fault_never_leaves_an_unaccepted_page_mapped);
	tcase_add_test(tc, a_vmm_punch_racing_a_guest_memory_read_reads_nothing);
	tcase_add_test(tc, a_guest_accept_racing_a_punch_on_the_same_words_is_never_lost);
	tcase_add_test(tc, a_punch_across_two_regions_withdraws_both_when_the_first_empties_the_tree);
	suite_add_tcase(s, tc);
	return s;
}
