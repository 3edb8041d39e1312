/*
 * Issue 9's breaks, each tried the way an attacker would, on the host with
 * the fake backend: a control mapping faulting while it is unmapped, a
 * GUEST object outliving its VM, a populate source rewritten mid-call, a
 * launch layout the digest does not describe, a punch with memory
 * exhausted, a TLB tag shared between VMs, a failed entry's RIP.
 */
#include <pthread.h>
#include <string.h>
#include <time.h>
#include <sealvisor/errno.h>
#include "hv/clock.h"
#include "hv/hypercall.h"
#include "hv/run.h"
#include "hv/shootdown.h"
#include "hv/vm.h"
#include "mm/phys.h"
#include "mm/pmm.h"
#include "tests/unit/fake_virt.h"
#include "tests/unit/unit.h"

#define MB (1UL << 20)
#define PUNCH (MEMOBJ_FALLOC_PUNCH_HOLE | MEMOBJ_FALLOC_KEEP_SIZE)
#define MAP_GPA (64 * MB)

static uint64_t free0;

static void setup(void)
{
	unit_machine(96 * MB);
	free0 = pmm_free_pages();
}

static void teardown(void)
{
	vm_fault_race_hook = NULL;
	vm_populate_race_hook = NULL;
	vm_map_fault_race_hook = NULL;
	vcpu_enter_race_hook = NULL;
	for (unsigned i = 0; i < SV_MAX_VMS; i++)
		if (vms[i].in_use)
			vm_destroy(&vms[i]);
	ck_assert_uint_eq(memobj_nr_objects(), 0);
	ck_assert_uint_eq(pmm_free_pages(), free0);   /* nothing leaked */
	arena_unmap();
}

static void sleep_ms(long ms)
{
	struct timespec ts = { 0, ms * 1000000L };
	nanosleep(&ts, NULL);
}

static struct memobj *guest_object(uint64_t size)
{
	struct memobj *o;
	ck_assert_int_eq(memobj_create(MEMOBJ_ALLOW_SEALING, &o), 0);
	ck_assert_int_eq(memobj_add_seals(o, MEMOBJ_SEAL_GUEST), 0);
	ck_assert_int_eq(memobj_set_size(o, size), 0);
	return o;
}

static struct memobj *shared_object(uint64_t size)
{
	struct memobj *o;
	ck_assert_int_eq(memobj_create(MEMOBJ_ALLOW_SEALING, &o), 0);
	ck_assert_int_eq(memobj_set_size(o, size), 0);
	return o;
}

/* ---- break 1: a control mapping's fault against its unmap ---- */

struct unmapper {
	struct vm *control;
	bool started, done;
};

static struct unmapper unmapper;

static void *unmap_on_cpu1(void *arg)
{
	struct unmapper *u = arg;

	fake_set_cpu(1);
	__atomic_store_n(&u->started, true, __ATOMIC_RELEASE);
	ck_assert_int_eq(vm_unmap_object(u->control, MAP_GPA), 0);
	__atomic_store_n(&u->done, true, __ATOMIC_RELEASE);
	return NULL;
}

/* Runs inside the fault, between finding the mapping and looking up its
 * page: CPU 1 unmaps (the mapping holds the object's last reference, so
 * the object goes too) and gets as far as it can in 50 ms. */
static void unmap_during_fault(struct vm *vm, uint64_t gpa)
{
	pthread_t t;
	(void)vm, (void)gpa;
	vm_map_fault_race_hook = NULL;
	pthread_create(&t, NULL, unmap_on_cpu1, &unmapper);
	while (!__atomic_load_n(&unmapper.started, __ATOMIC_ACQUIRE))
		;
	sleep_ms(50);
	pthread_detach(t);
}

START_TEST(a_control_fault_never_installs_after_the_unmap)
{
	struct vm *control;
	struct memobj *o = shared_object(4 * PAGE_SIZE);
	uint64_t hpa;
	unsigned level;

	ck_assert_int_eq(vm_create_control(4 * MB, &control), 0);
	ck_assert_int_eq(vm_map_object(control, o, 0, MAP_GPA, 4 * PAGE_SIZE, true), 0);
	memobj_close(o);                       /* the mapping holds the last reference */
	unmapper = (struct unmapper){ .control = control };
	vm_map_fault_race_hook = unmap_during_fault;
	ck_assert_int_eq(vm_map_fault(control, MAP_GPA + PAGE_SIZE, true), 0);
	while (!__atomic_load_n(&unmapper.done, __ATOMIC_ACQUIRE))
		;
	ck_assert(!stage2_lookup(&control->s2, MAP_GPA + PAGE_SIZE, &hpa, &level));
	ck_assert_int_eq(vm_audit(), 0);
	ck_assert_int_eq(vm_map_fault(control, MAP_GPA + PAGE_SIZE, false), -EFAULT);
}
END_TEST

/* ---- break 2: a GUEST object outlives its VM ---- */

START_TEST(a_guest_object_loses_its_pages_with_its_vm_and_never_binds_again)
{
	struct memobj *g = guest_object(4 * MB);
	struct vm *victim, *thief;
	static const char secret[] = "the victim's secret";

	ck_assert_int_eq(vm_create_guest(&victim), 0);
	ck_assert_int_eq(vm_set_region(victim, 0, 4 * MB, g, 0), 0);
	ck_assert_int_eq(vm_populate(victim, 0x3000, secret, sizeof(secret)), 0);
	ck_assert_int_eq(vm_handle_fault(victim, 0x3000), 0);
	ck_assert_uint_gt(memobj_nr_pages(g), 0);
	unsigned id = victim->id;
	vm_destroy(victim);
	ck_assert_uint_eq(memobj_nr_pages(g), 0);        /* freed, though still open */
	ck_assert_int_eq(vm_create_guest(&thief), 0);
	ck_assert_uint_eq(thief->id, id);                  /* even the same slot */
	ck_assert_int_eq(vm_set_region(thief, 0, 4 * MB, g, 0), -EPERM);
	struct vm *other;
	ck_assert_int_eq(vm_create_guest(&other), 0);
	ck_assert_int_eq(vm_set_region(other, 0, 4 * MB, g, 0), -EPERM);
	memobj_close(g);
}
END_TEST

/* ---- break 3: the populate source rewritten during the call ---- */

static uint8_t *flip_src;

static void flip_source(struct vm *vm, uint64_t gpa)
{
	(void)vm, (void)gpa;
	memset(flip_src, 0xcc, PAGE_SIZE);      /* what a second control vCPU does */
}

static void launch(struct vm **vm, struct memobj **o, const void *src, uint64_t rip)
{
	*o = guest_object(2 * MB);
	ck_assert_int_eq(vm_create_guest(vm), 0);
	ck_assert_int_eq(vm_set_region(*vm, 0, 2 * MB, *o, 0), 0);
	ck_assert_int_eq(vm_populate(*vm, 0x1000, src, PAGE_SIZE), 0);
	ck_assert_int_eq(vcpu_create(*vm, 0, &(struct sv_vcpu_regs){ .rip = rip }), 0);
	ck_assert_int_eq(vm_finalize(*vm), 0);
}

START_TEST(populate_measures_the_bytes_that_landed)
{
	static uint8_t src[PAGE_SIZE], original[PAGE_SIZE];
	struct vm *a, *b;
	struct memobj *oa, *ob;
	uint64_t hpa;
	unsigned level;

	memset(original, 0x5a, sizeof(original));
	memcpy(src, original, sizeof(src));
	flip_src = src;
	vm_populate_race_hook = flip_source;
	launch(&a, &oa, src, 0x1000);
	vm_populate_race_hook = NULL;
	launch(&b, &ob, original, 0x1000);
	/* Same bytes landed in both: same digest, and the guest has them. */
	ck_assert_mem_eq(a->measurement, b->measurement, SV_MEASUREMENT_SIZE);
	ck_assert_int_eq(vm_handle_fault(a, 0x1000), 0);
	ck_assert(stage2_lookup(&a->s2, 0x1000, &hpa, &level));
	ck_assert_mem_eq(phys_to_virt(hpa), original, PAGE_SIZE);
	memobj_close(oa);
	memobj_close(ob);
}
END_TEST

/* ---- break 4: the measurement describes the whole launch ---- */

START_TEST(populate_only_into_guest_sealed_regions)
{
	struct memobj *shared = shared_object(2 * MB);
	struct vm *vm;
	static const char img[] = "code";

	ck_assert_int_eq(vm_create_guest(&vm), 0);
	ck_assert_int_eq(vm_set_region(vm, 0, 2 * MB, shared, 0), 0);
	ck_assert_int_eq(vm_populate(vm, 0x1000, img, sizeof(img)), -EPERM);
	ck_assert_uint_eq(memobj_nr_pages(shared), 0);     /* nothing landed */
	memobj_close(shared);
}
END_TEST

START_TEST(regions_may_not_overlap_or_alias_by_even_one_page)
{
	struct memobj *g = guest_object(8 * MB);
	struct vm *vm;

	ck_assert_int_eq(vm_create_guest(&vm), 0);
	ck_assert_int_eq(vm_set_region(vm, 4 * MB, 2 * MB, g, 0), 0);
	/* gpa ranges sharing exactly one page, either side */
	ck_assert_int_eq(vm_set_region(vm, 6 * MB - PAGE_SIZE, 2 * MB, g, 4 * MB), -EEXIST);
	ck_assert_int_eq(vm_set_region(vm, 2 * MB + PAGE_SIZE, 2 * MB, g, 4 * MB), -EEXIST);
	/* the same object pages at another gpa: by one page, either side */
	ck_assert_int_eq(vm_set_region(vm, 16 * MB, 2 * MB, g, 2 * MB - PAGE_SIZE), -EEXIST);
	ck_assert_int_eq(vm_set_region(vm, 16 * MB, 2 * MB, g, 2 * MB - PAGE_SIZE * 511), -EEXIST);
	ck_assert_int_eq(vm_set_region(vm, 16 * MB, 2 * MB, g, 2 * MB), 0);   /* adjacent: fine */
	ck_assert_int_eq(vm_set_region(vm, 6 * MB, 2 * MB, g, 4 * MB), 0);
	ck_assert_uint_eq(vm->nr_regions, 3);
	memobj_close(g);
}
END_TEST

/* Digest of a 1-page launch at rip with n vCPUs and the object's seals. */
static void measure_variant(uint8_t out[32], uint64_t rip, unsigned nr_vcpus, unsigned seals)
{
	static uint8_t page[PAGE_SIZE] = { 0xf4 };
	struct memobj *o = guest_object(2 * MB);
	struct vm *vm;

	ck_assert_int_eq(memobj_add_seals(o, seals), 0);
	ck_assert_int_eq(vm_create_guest(&vm), 0);
	ck_assert_int_eq(vm_set_region(vm, 0, 2 * MB, o, 0), 0);
	ck_assert_int_eq(vm_populate(vm, 0, page, PAGE_SIZE), 0);
	for (unsigned i = 0; i < nr_vcpus; i++)
		ck_assert_int_eq(vcpu_create(vm, i, &(struct sv_vcpu_regs){ .rip = rip }), 0);
	ck_assert_int_eq(vm_finalize(vm), 0);
	ck_assert_int_eq(vcpu_create(vm, nr_vcpus, &(struct sv_vcpu_regs){ .rip = rip }), -EPERM);
	memcpy(out, vm->measurement, 32);
	vm_destroy(vm);
	memobj_close(o);
}

START_TEST(entry_point_vcpu_count_and_seals_are_measured)
{
	uint8_t base[32], other_rip[32], more_vcpus[32], more_seals[32], again[32];

	measure_variant(base, 0x0, 1, 0);
	measure_variant(again, 0x0, 1, 0);
	measure_variant(other_rip, 0x10, 1, 0);
	measure_variant(more_vcpus, 0x0, 2, 0);
	measure_variant(more_seals, 0x0, 1, MEMOBJ_SEAL_SEAL);
	ck_assert_mem_eq(base, again, 32);
	ck_assert(memcmp(base, other_rip, 32) != 0);
	ck_assert(memcmp(base, more_vcpus, 32) != 0);
	ck_assert(memcmp(base, more_seals, 32) != 0);
}
END_TEST

/* Before FINALIZE the pages hold what the digest says: a punch or a
 * truncation would change the launch unmeasured. */
START_TEST(measured_pages_stay_until_the_launch_is_finalized)
{
	struct memobj *g = guest_object(4 * MB);
	struct vm *vm;
	static const char img[] = "measured";

	ck_assert_int_eq(vm_create_guest(&vm), 0);
	ck_assert_int_eq(vm_set_region(vm, 0, 4 * MB, g, 0), 0);
	ck_assert_int_eq(vm_populate(vm, 0x1000, img, sizeof(img)), 0);
	ck_assert_int_eq(memobj_fallocate(g, PUNCH, 0, 4 * MB), -EBUSY);
	ck_assert_int_eq(memobj_set_size(g, 0), -EBUSY);
	ck_assert_int_eq(memobj_set_size(g, 8 * MB), 0);              /* growing is harmless */
	ck_assert_uint_eq(memobj_nr_pages(g), 1);
	fake_launch(vm);
	ck_assert_int_eq(memobj_fallocate(g, PUNCH, 0, 4 * MB), 0);   /* the guest's to ask */
	ck_assert_uint_eq(memobj_nr_pages(g), 0);
	memobj_close(g);
}
END_TEST

START_TEST(a_region_past_its_objects_end_cannot_be_finalized)
{
	struct memobj *g = guest_object(1 * MB);
	struct vm *vm;

	ck_assert_int_eq(vm_create_guest(&vm), 0);
	ck_assert_int_eq(vm_set_region(vm, 0, 2 * MB, g, 0), 0);
	ck_assert_int_eq(vcpu_create(vm, 0, &(struct sv_vcpu_regs){ 0 }), 0);
	ck_assert_int_eq(vm_finalize(vm), -EINVAL);
	ck_assert_int_eq(memobj_set_size(g, 2 * MB), 0);
	ck_assert_int_eq(vm_finalize(vm), 0);
	memobj_close(g);
}
END_TEST

/* ---- break 5: memory exhausted, then a punch inside a 2 MiB leaf ---- */

START_TEST(a_punch_inside_a_2m_leaf_works_with_no_free_memory)
{
	struct memobj *g = guest_object(4 * MB);
	struct vm *vm;
	unsigned level;
	uint64_t hpa, hoard = 0;

	ck_assert_int_eq(memobj_fallocate(g, 0, 0, 4 * MB), 0);    /* 2 MiB extents */
	ck_assert_int_eq(vm_create_guest(&vm), 0);
	ck_assert_int_eq(vm_set_region(vm, 0, 4 * MB, g, 0), 0);
	ck_assert_int_eq(vm_handle_fault(vm, 2 * MB + 0x5000), 0);
	ck_assert(stage2_lookup(&vm->s2, 2 * MB, &hpa, &level));
	ck_assert_uint_eq(level, S2_LEVEL_2M);
	/* Take every free page, linked through its first word. */
	for (uint64_t pa; (pa = pmm_alloc(0, OWNER_HV, 0)); hoard = pa)
		*(uint64_t *)phys_to_virt(pa) = hoard;
	ck_assert_uint_eq(pmm_free_pages(), 0);
	fake_launch(vm);
	ck_assert_int_eq(memobj_fallocate(g, PUNCH, 2 * MB + 0x5000, PAGE_SIZE), 0);
	ck_assert(!stage2_lookup(&vm->s2, 2 * MB, &hpa, &level));   /* the whole leaf went */
	ck_assert_int_eq(vm_audit(), 0);
	while (hoard) {
		uint64_t next = *(uint64_t *)phys_to_virt(hoard);
		*(uint64_t *)phys_to_virt(hoard) = 0;
		pmm_free(hoard, 0);
		hoard = next;
	}
	ck_assert_int_eq(vm_handle_fault(vm, 2 * MB + 0x6000), 0);  /* the rest faults back */
	ck_assert_int_eq(vm_audit(), 0);
	memobj_close(g);
}
END_TEST

/* ---- break 6: a TLB tag shared between VMs ---- */

static void enter_and_exit(struct vcpu *v, bool *flushed)
{
	*flushed = vcpu_enter(v);
	vcpu_exited(v);
}

START_TEST(vms_sharing_a_tlb_tag_flush_whenever_it_changes_hands)
{
	struct vm *control, *guest;
	bool flushed;

	fake_nr_tags = 2;                     /* only the control partition has its own */
	ck_assert_int_eq(vm_create_control(4 * MB, &control), 0);
	ck_assert_int_eq(vm_create_guest(&guest), 0);
	ck_assert_uint_eq(guest->tlb_tag, control->tlb_tag);
	control->vcpus[0].vm = control;
	guest->vcpus[0].vm = guest;
	enter_and_exit(&control->vcpus[0], &flushed);
	ck_assert(flushed);                                   /* first time here */
	enter_and_exit(&control->vcpus[0], &flushed);
	ck_assert(!flushed);
	enter_and_exit(&guest->vcpus[0], &flushed);
	ck_assert(flushed);                                   /* the tag changed hands */
	enter_and_exit(&control->vcpus[0], &flushed);
	ck_assert(flushed);                                   /* and back */
	enter_and_exit(&control->vcpus[0], &flushed);
	ck_assert(!flushed);
}
END_TEST

/* ---- break 7: a failed entry reports a hypervisor address ---- */

START_TEST(a_failed_entry_reports_the_vcpus_own_rip_and_the_vcpu_stays_dead)
{
	struct memobj *g = guest_object(2 * MB);
	struct vm *control, *vm;
	static const uint8_t code[PAGE_SIZE] = { 0xf4 };

	ck_assert_int_eq(vm_create_control(4 * MB, &control), 0);
	ck_assert_int_eq(vm_create_guest(&vm), 0);
	ck_assert_int_eq(vm_set_region(vm, 0, 2 * MB, g, 0), 0);
	ck_assert_int_eq(vm_populate(vm, 0, code, PAGE_SIZE), 0);
	ck_assert_int_eq(vcpu_create(vm, 0, &(struct sv_vcpu_regs){ .rip = 0x1234, .cr3 = 0x1000 }), 0);
	ck_assert_int_eq(vm_finalize(vm), 0);
	fake_exits[fake_nexits++] = (struct vm_exit){ .reason = VMEXIT_FAILED, .raw = 33 };
	struct sv_run *run = vm_guest_ptr(control, 0x2000, sizeof(*run));
	ck_assert_int_eq(unit_hc(control, SV_HC_VCPU_RUN, vm->id, 0, 0x2000, 0, 0), 0);
	ck_assert_uint_eq(run->exit_reason, SV_EXIT_SHUTDOWN);
	ck_assert_uint_eq(run->shutdown.rip, 0x1234);
	ck_assert_uint_eq(run->shutdown.code, 33);
	ck_assert_int_eq(unit_hc(control, SV_HC_VCPU_RUN, vm->id, 0, 0x2000, 0, 0), -EIO);
	memobj_close(g);
}
END_TEST

/* Found by the fuzzer: VM ids are 64-bit in the ABI; 2^32 must not
 * truncate to 0 and name the control partition. */
START_TEST(a_vm_id_past_32_bits_names_no_vm)
{
	struct vm *control;

	ck_assert_int_eq(vm_create_control(4 * MB, &control), 0);
	for (uint64_t id = 1UL << 32; id; id <<= 1) {
		ck_assert_int_eq(unit_hc(control, SV_HC_VM_DESTROY, id, 0, 0, 0, 0), -ENOENT);
		ck_assert_int_eq(unit_hc(control, SV_HC_VM_FINALIZE, id, 0, 0, 0, 0), -ENOENT);
		ck_assert_int_eq(unit_hc(control, SV_HC_VM_SET_REGION, id + 1, 0, 4096, 0, 0), -ENOENT);
	}
	ck_assert(control->in_use);
}
END_TEST

/* ---- found in review: a fault during a shootdown and a table in use ---- */

/* The page table (level 0) that translates gpa, or 0. */
static uint64_t page_table_of(struct stage2 *s, uint64_t gpa)
{
	uint64_t table = s->root;

	for (int l = 3; l > 0; l--) {
		uint64_t e = ((uint64_t *)phys_to_virt(table))[(gpa >> (12 + 9 * l)) & 511];
		if (!s->fmt->present(e) || (l == 1 && s->fmt->large(e)))
			return 0;
		table = s->fmt->addr(e);
	}
	return table;
}

struct walker {
	struct vm *control;
	uint64_t pt;
	bool done;
};

/* CPU 1 was in the control partition when CPU 0's shootdown looked. Once
 * kicked, and before it leaves guest mode, CPU 2 enters after the zap and
 * walks MAP_GPA's page table, and CPU 1 faults the last page of that
 * table in. The page table must survive the shootdown: nothing but a zap
 * may take it out of the tree (a merge here once retired it, and the
 * shootdown then freed it under CPU 2's paging-structure cache). */
static void *walk_then_fault_on_cpu1(void *arg)
{
	struct walker *w = arg;

	fake_set_cpu(1);
	while (!__atomic_load_n(&fake_kicked[1], __ATOMIC_SEQ_CST))
		;
	fake_set_cpu(2);
	vcpu_enter(&w->control->vcpus[0]);
	vcpu_exited(&w->control->vcpus[0]);
	ck_assert(page_table_of(&w->control->s2, MAP_GPA) == w->pt);
	fake_set_cpu(1);
	ck_assert_int_eq(vm_map_fault(w->control, MAP_GPA + 511 * PAGE_SIZE, true), 0);
	__atomic_add_fetch(&cpu_state[1].exits, 1, __ATOMIC_SEQ_CST);
	__atomic_store_n(&cpu_state[1].in_guest, NULL, __ATOMIC_SEQ_CST);
	__atomic_store_n(&w->done, true, __ATOMIC_SEQ_CST);
	return NULL;
}

START_TEST(a_fault_during_a_shootdown_never_frees_a_table_in_use)
{
	static struct walker w;
	struct vm *control;
	struct memobj *x, *y;
	pthread_t t;

	ck_assert_int_eq(vm_create_control(4 * MB, &control), 0);
	ck_assert_int_eq(vcpu_create(control, 0, &(struct sv_vcpu_regs){ 0 }), 0);
	ck_assert_int_eq(memobj_create(MEMOBJ_ALLOW_SEALING, &y), 0);
	ck_assert_int_eq(memobj_fallocate(y, 0, 0, 2 * MB), 0);      /* one contiguous extent */
	ck_assert_int_eq(vm_map_object(control, y, 0, MAP_GPA, 2 * MB, true), 0);
	for (unsigned i = 0; i < 511; i++)
		ck_assert_int_eq(vm_map_fault(control, MAP_GPA + i * PAGE_SIZE, true), 0);
	w = (struct walker){ .control = control, .pt = page_table_of(&control->s2, MAP_GPA) };
	ck_assert_uint_ne(w.pt, 0);
	x = shared_object(PAGE_SIZE);
	ck_assert_int_eq(vm_map_object(control, x, 0, MAP_GPA + 4 * MB, PAGE_SIZE, true), 0);
	ck_assert_int_eq(vm_map_fault(control, MAP_GPA + 4 * MB, true), 0);
	/* CPU 1 is inside the control partition, as vcpu_enter leaves it:
	 * its bit in the VM's CPU mask, then in_guest. */
	__atomic_or_fetch(&vm_cpus[control->id], 1UL << 1, __ATOMIC_SEQ_CST);
	__atomic_store_n(&cpu_state[1].in_guest, control, __ATOMIC_SEQ_CST);
	pthread_create(&t, NULL, walk_then_fault_on_cpu1, &w);
	ck_assert_int_eq(memobj_fallocate(x, PUNCH, 0, PAGE_SIZE), 0);
	pthread_join(t, NULL);
	ck_assert(w.done);
	ck_assert(page_table_of(&control->s2, MAP_GPA) == w.pt);
	struct page_meta *m = pmm_meta(w.pt);
	ck_assert(m->state == PAGE_USED && m->owner_type == OWNER_STAGE2);
	ck_assert_int_eq(vm_audit(), 0);
	ck_assert_int_eq(vm_unmap_object(control, MAP_GPA + 4 * MB), 0);
	ck_assert_int_eq(vm_unmap_object(control, MAP_GPA), 0);
	memobj_close(x);
	memobj_close(y);
}
END_TEST

/* ---- found in review: a guest that exits all the time keeps its VMM ---- */

static int cpuid_entries;
static bool cpuid_sleeps = true;

/* The guest runs CPUID in a loop: each entry exits at once, a millisecond
 * later. */
static void cpuid_loop_run(struct vcpu *v, struct vm_exit *e)
{
	vcpu_enter(v);
	vcpu_exited(v);
	if (cpuid_sleeps)
		sleep_ms(1);
	*e = (struct vm_exit){ .reason = ++cpuid_entries > 5000 ? VMEXIT_SHUTDOWN : VMEXIT_CPUID };
}

static uint64_t tsc_per_ms(void)
{
	uint64_t t0 = __builtin_ia32_rdtsc();
	sleep_ms(20);
	return (__builtin_ia32_rdtsc() - t0) / 20;
}

START_TEST(a_guest_that_never_stops_exiting_still_returns_to_its_vmm)
{
	static struct virt_ops looping;
	const struct virt_ops *saved = virt;
	struct memobj *g = guest_object(2 * MB);
	struct vm *vm;
	struct sv_run run = { 0 };

	ck_assert_int_eq(vm_create_guest(&vm), 0);
	ck_assert_int_eq(vm_set_region(vm, 0, 2 * MB, g, 0), 0);
	fake_launch(vm);
	clock_init(tsc_per_ms());
	looping = *virt;
	looping.vcpu_run = cpuid_loop_run;
	virt = &looping;
	cpuid_entries = 0;
	int64_t r = vcpu_run_for_vmm(&vm->vcpus[0], &run);
	virt = saved;
	clock_init(0);
	ck_assert_int_eq(r, 0);
	ck_assert_msg(run.exit_reason == SV_EXIT_PREEMPT && cpuid_entries < 1000,
		      "%d entries, exit reason %u", cpuid_entries, run.exit_reason);
	memobj_close(g);
}
END_TEST

/* A second attack session: every call number with every argument at its
 * edges (0, ~0, 2^32, 2^63, ...): nothing crashes, no call returns a
 * value it could only have got by narrowing, the control partition lives. */
START_TEST(every_hypercall_argument_at_its_edges)
{
	struct vm *control;
	static const uint64_t edge[] = { 0, ~0UL, 1UL << 32, 1UL << 63, 4096, (1UL << 63) - 4096 };
	const unsigned n = sizeof(edge) / sizeof(edge[0]);

	ck_assert_int_eq(vm_create_control(4 * MB, &control), 0);
	ck_assert_int_ge(unit_hc(control, SV_HC_MEMOBJ_CREATE, 0, 0, 0, 0, 0), 0);
	for (uint64_t nr = 0; nr < SV_HC_MAX + 2; nr++) {
		if (nr == SV_HC_SYSTEM_SHUTDOWN || nr == SV_HC_CONTROL_VCPU_START ||
		    nr == SV_HC_CONTROL_VCPU_WAKE || nr == SV_HC_VCPU_RUN || nr == SV_HC_VM_CREATE ||
		    nr == SV_HC_MEMOBJ_CLOSE || nr == SV_HC_MEMOBJ_CREATE)
			continue;
		for (unsigned i = 0; i < n * n * n; i++) {
			uint64_t a = edge[i % n], b = edge[i / n % n], c = edge[i / n / n];
			int64_t r = unit_hc(control, nr, a, b, c, ~b, a);
			ck_assert_msg(r < 0x100000000L || nr == SV_HC_MEMOBJ_GET_SIZE,
				      "nr %lu returned 0x%lx", nr, r);
		}
	}
	ck_assert(control->in_use);
}
END_TEST

/* Without a calibrated clock the slice is a count of entries. */
START_TEST(without_a_clock_a_busy_guest_still_returns_to_its_vmm)
{
	static struct virt_ops looping;
	const struct virt_ops *saved = virt;
	struct memobj *g = guest_object(2 * MB);
	struct vm *vm;
	struct sv_run run = { 0 };

	ck_assert_int_eq(vm_create_guest(&vm), 0);
	ck_assert_int_eq(vm_set_region(vm, 0, 2 * MB, g, 0), 0);
	fake_launch(vm);
	clock_init(0);
	looping = *virt;
	looping.vcpu_run = cpuid_loop_run;
	virt = &looping;
	cpuid_entries = -100000;     /* no sleeps needed: the count decides */
	cpuid_sleeps = false;
	int64_t r = vcpu_run_for_vmm(&vm->vcpus[0], &run);
	cpuid_sleeps = true;
	virt = saved;
	ck_assert_int_eq(r, 0);
	ck_assert_uint_eq(run.exit_reason, SV_EXIT_PREEMPT);
	memobj_close(g);
}
END_TEST

Suite *isolation_suite(void)
{
	Suite *s = suite_create("isolation");
	TCase *tc = tcase_create("attacks");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, a_control_fault_never_installs_after_the_unmap);
	tcase_add_test(tc, a_guest_object_loses_its_pages_with_its_vm_and_never_binds_again);
	tcase_add_test(tc, populate_measures_the_bytes_that_landed);
	tcase_add_test(tc, populate_only_into_guest_sealed_regions);
	tcase_add_test(tc, regions_may_not_overlap_or_alias_by_even_one_page);
	tcase_add_test(tc, entry_point_vcpu_count_and_seals_are_measured);
	tcase_add_test(tc, measured_pages_stay_until_the_launch_is_finalized);
	tcase_add_test(tc, a_region_past_its_objects_end_cannot_be_finalized);
	tcase_add_test(tc, a_punch_inside_a_2m_leaf_works_with_no_free_memory);
	tcase_add_test(tc, vms_sharing_a_tlb_tag_flush_whenever_it_changes_hands);
	tcase_add_test(tc, a_failed_entry_reports_the_vcpus_own_rip_and_the_vcpu_stays_dead);
	tcase_add_test(tc, a_vm_id_past_32_bits_names_no_vm);
	tcase_add_test(tc, a_fault_during_a_shootdown_never_frees_a_table_in_use);
	tcase_add_test(tc, a_guest_that_never_stops_exiting_still_returns_to_its_vmm);
	tcase_add_test(tc, every_hypercall_argument_at_its_edges);
	tcase_add_test(tc, without_a_clock_a_busy_guest_still_returns_to_its_vmm);
	suite_add_tcase(s, tc);
	return s;
}
