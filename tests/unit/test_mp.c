/*
 * INIT/SIPI and the MP state (hv/vcpu_mp.c), logical and lowest-priority
 * destinations (vlapic_dest_match, hv/vlapic_msr.c route): the state
 * machine through the fake backend, the hypercalls' argument checks, and
 * what the launch measurement records.
 */
#include <string.h>
#include "hv/hypercall.h"
#include "hv/nmi.h"
#include "hv/run.h"
#include "hv/vcpu_mp.h"
#include "hv/vcpu_state.h"
#include "hv/vlapic_msr.h"
#include "hv/vm.h"
#include "tests/unit/fake_virt.h"
#include "tests/unit/unit.h"

#define MB (1UL << 20)
#define RUN_GPA 0x2000UL
#define ICR 0x830u
#define ICR_LOWEST (1u << 8)
#define ICR_INIT (5u << 8)
#define ICR_SIPI (6u << 8)
#define ICR_LOGICAL (1u << 11)
#define ICR_ASSERT (1u << 14)
#define ICR_LEVEL (1u << 15)

/* ---- destination matching (pure) ---- */

START_TEST(ldr_is_cluster_and_bit_of_the_id)
{
	struct vlapic l;

	vlapic_init(&l, 0, 1);
	ck_assert_uint_eq(vlapic_ldr(&l), 0x00000001);
	vlapic_init(&l, 15, 1);
	ck_assert_uint_eq(vlapic_ldr(&l), 0x00008000);
	vlapic_init(&l, 17, 1);
	ck_assert_uint_eq(vlapic_ldr(&l), 0x00010002);
	vlapic_init(&l, 0x12345, 1);
	ck_assert_uint_eq(vlapic_ldr(&l), 0x12340020);
}
END_TEST

START_TEST(destinations_match_physically_and_logically)
{
	struct vlapic l;

	vlapic_init(&l, 17, 1);                              /* cluster 1, bit 1 */
	ck_assert(vlapic_dest_match(&l, 17, false));
	ck_assert(!vlapic_dest_match(&l, 1, false));
	ck_assert(!vlapic_dest_match(&l, 0x00010002, false));  /* a logical id, physically */
	ck_assert(vlapic_dest_match(&l, 0xffffffff, false));   /* broadcast */
	ck_assert(vlapic_dest_match(&l, 0x00010002, true));
	ck_assert(vlapic_dest_match(&l, 0x0001ffff, true));    /* every bit of cluster 1 */
	ck_assert(!vlapic_dest_match(&l, 0x00010001, true));   /* cluster 1, another bit */
	ck_assert(!vlapic_dest_match(&l, 0x00000002, true));   /* bit 1 of cluster 0 */
	ck_assert(!vlapic_dest_match(&l, 0x00020002, true));
	ck_assert(!vlapic_dest_match(&l, 0x00010000, true));   /* no bit at all */
	ck_assert(!vlapic_dest_match(&l, 17, true));           /* a physical id, logically */
	ck_assert(vlapic_dest_match(&l, 0xffffffff, true));
}
END_TEST

START_TEST(icr_decodes_lowest_priority_and_init_deassert)
{
	struct vlapic l;
	struct vlapic_ipi ipi;

	vlapic_init(&l, 0, 1);
	ck_assert_int_eq(vlapic_write(&l, VLAPIC_ICR, 3UL << 32 | ICR_LOGICAL | ICR_LOWEST | 0x43, 0,
				      &ipi), 0);
	ck_assert(ipi.valid && ipi.mode == IPI_LOWEST && ipi.logical && ipi.dest == 3);
	ck_assert_int_eq(vlapic_write(&l, VLAPIC_ICR, ICR_LOWEST | 0x05, 0, &ipi), 0);
	ck_assert(!ipi.valid);                                /* illegal vector: ESR, no IPI */
	ck_assert_int_eq(vlapic_write(&l, VLAPIC_ICR, 1UL << 32 | ICR_INIT | ICR_LEVEL, 0, &ipi), 0);
	ck_assert(ipi.valid && ipi.mode == IPI_INIT && ipi.init_deassert);
	ck_assert_int_eq(vlapic_write(&l, VLAPIC_ICR, 1UL << 32 | ICR_INIT | ICR_ASSERT, 0, &ipi), 0);
	ck_assert(ipi.valid && !ipi.init_deassert);
	ck_assert_int_eq(vlapic_write(&l, VLAPIC_ICR, 1UL << 32 | ICR_SIPI | 0x08, 0, &ipi), 0);
	ck_assert(ipi.valid && ipi.mode == IPI_SIPI && ipi.vector == 8);
}
END_TEST

START_TEST(reset_keeps_only_the_id)
{
	struct vlapic l, fresh;
	struct vlapic_ipi ipi;

	vlapic_init(&l, 5, 7);
	vlapic_init(&fresh, 5, 7);
	ck_assert_int_eq(vlapic_write(&l, VLAPIC_SVR, 0x1ff, 0, &ipi), 0);
	ck_assert_int_eq(vlapic_write(&l, VLAPIC_TPR, 0x30, 0, &ipi), 0);
	vlapic_accept(&l, 0x70, true);
	vlapic_reset(&l);
	ck_assert(!memcmp(&l, &fresh, sizeof(l)));
}
END_TEST

START_TEST(the_init_state_passes_the_checks_and_sipi_moves_only_cs_and_ip)
{
	static const struct vcpu_state_limits lim = { .cr4_ok = 0x330fffUL, .phys_bits = 46 };
	struct sv_regs r, r0;
	struct sv_sregs s, s0;
	const char *why = NULL;

	vcpu_state_init(&r, &s);
	ck_assert_msg(vcpu_state_check(&r, &s, &lim, &why) == 0, "%s", why);
	ck_assert_uint_eq(r.rip, 0xfff0);
	ck_assert_uint_eq(s.cs.base + r.rip, 0xfffffff0);
	ck_assert_uint_eq(s.cr0 & (X86_CR0_PE | X86_CR0_PG), 0);
	r0 = r, s0 = s;
	vcpu_state_sipi(&r, &s, 0x9a);
	ck_assert_msg(vcpu_state_check(&r, &s, &lim, &why) == 0, "%s", why);
	ck_assert_uint_eq(s.cs.selector, 0x9a00);
	ck_assert_uint_eq(s.cs.base, 0x9a000);
	ck_assert_uint_eq(r.rip, 0);
	s0.cs.selector = s.cs.selector, s0.cs.base = s.cs.base, r0.rip = 0;
	ck_assert(!memcmp(&r, &r0, sizeof(r)) && !memcmp(&s, &s0, sizeof(s)));
}
END_TEST

/* ---- the state machine and routing, with the fake backend ---- */

static struct vm *control, *vm;
static struct memobj *obj;
static struct vcpu *v0, *v1;

static void setup(void)
{
	unit_machine(64 * MB);
	ck_assert_int_eq(vm_create_control(4 * MB, &control), 0);
	ck_assert_int_eq(memobj_create(MEMOBJ_ALLOW_SEALING, &obj), 0);
	ck_assert_int_eq(memobj_add_seals(obj, MEMOBJ_SEAL_GUEST), 0);
	ck_assert_int_eq(memobj_set_size(obj, 2 * MB), 0);
	ck_assert_int_eq(vm_create_guest(&vm), 0);
	ck_assert_int_eq(vm_set_region(vm, 0, 2 * MB, obj, 0), 0);
	ck_assert_int_eq(vcpu_create(vm, 0, &(struct sv_vcpu_regs){ .rip = 0x100000 }), 0);
	ck_assert_int_eq(vcpu_create(vm, 1, &(struct sv_vcpu_regs){ .rip = 0x100000 }), 0);
	v0 = &vm->vcpus[0], v1 = &vm->vcpus[1];
	/* The tests speak x2APIC MSRs: EXTD on, as a guest would first. */
	ck_assert_int_eq(vlapic_set_base(&v0->lapic, v0->lapic.base | APIC_BASE_EXTD), 0);
	ck_assert_int_eq(vlapic_set_base(&v1->lapic, v1->lapic.base | APIC_BASE_EXTD), 0);
}

static void teardown(void)
{
	if (vm_get(vm->id))
		vm_destroy(vm);
	vm_destroy(control);
	memobj_close(obj);
	arena_unmap();
}

static int64_t hc(uint64_t nr, uint64_t a, uint64_t b, uint64_t c)
{
	return unit_hc(control, nr, a, b, c, 0, 0);
}

static void icr(struct vcpu *from, uint64_t val)
{
	ck_assert_int_eq(vlapic_msr_write(from, ICR, &val), 0);
}

static bool in_irr(struct vcpu *v, uint8_t vector)
{
	return v->lapic.irr[vector / 32] >> (vector % 32) & 1;
}

START_TEST(mp_state_calls_check_every_argument)
{
	ck_assert_int_eq(hc(SV_HC_VCPU_SET_MP_STATE, 0, 1, 1), -ENOENT);          /* control */
	ck_assert_int_eq(hc(SV_HC_VCPU_SET_MP_STATE, 1UL << 32 | vm->id, 1, 1), -ENOENT);
	ck_assert_int_eq(hc(SV_HC_VCPU_SET_MP_STATE, SV_MAX_VMS, 1, 1), -ENOENT);
	ck_assert_int_eq(hc(SV_HC_VCPU_SET_MP_STATE, vm->id, 2, 1), -EINVAL);     /* not created */
	ck_assert_int_eq(hc(SV_HC_VCPU_SET_MP_STATE, vm->id, SV_MAX_VCPUS, 1), -EINVAL);
	ck_assert_int_eq(hc(SV_HC_VCPU_SET_MP_STATE, vm->id, 1UL << 32 | 1, 1), -EINVAL);
	ck_assert_int_eq(hc(SV_HC_VCPU_SET_MP_STATE, vm->id, 1, 2), -EINVAL);     /* no such state */
	ck_assert_int_eq(hc(SV_HC_VCPU_SET_MP_STATE, vm->id, 1, 1UL << 32 | 1), -EINVAL);
	ck_assert_int_eq(hc(SV_HC_VCPU_GET_MP_STATE, 0, 1, 0), -ENOENT);
	ck_assert_int_eq(hc(SV_HC_VCPU_GET_MP_STATE, vm->id, 2, 0), -EINVAL);
	ck_assert_int_eq(hc(SV_HC_VCPU_GET_MP_STATE, vm->id, 1, 0), SV_MP_STATE_RUNNABLE);
	v1->running = true;
	ck_assert_int_eq(hc(SV_HC_VCPU_SET_MP_STATE, vm->id, 1, 1), -EBUSY);
	v1->running = false;
	/* A CPU that cannot run real mode: refused, nothing changed. */
	fake_set_state_err = -EOPNOTSUPP;
	ck_assert_int_eq(hc(SV_HC_VCPU_SET_MP_STATE, vm->id, 1, 1), -EOPNOTSUPP);
	fake_set_state_err = 0;
	ck_assert_int_eq(v1->mp_state, SV_MP_STATE_RUNNABLE);
	ck_assert_uint_eq(v1->init_sregs.cs.selector, 0x08);
	/* A guest may not call them. */
	ck_assert_int_eq(unit_hc(vm, SV_HC_VCPU_SET_MP_STATE, vm->id, 1, 1, 0, 0), -EPERM);
	ck_assert_int_eq(unit_hc(vm, SV_HC_VCPU_GET_MP_STATE, vm->id, 1, 0, 0, 0), -EPERM);
	ck_assert_int_eq(v1->mp_state, SV_MP_STATE_RUNNABLE);
}
END_TEST

START_TEST(wait_sipi_loads_the_init_state_which_set_regs_cannot_change)
{
	struct sv_regs want_r;
	struct sv_sregs want_s;

	ck_assert_int_eq(hc(SV_HC_VCPU_SET_MP_STATE, vm->id, 1, SV_MP_STATE_WAIT_SIPI), 0);
	ck_assert_int_eq(hc(SV_HC_VCPU_GET_MP_STATE, vm->id, 1, 0), SV_MP_STATE_WAIT_SIPI);
	vcpu_state_init(&want_r, &want_s);
	ck_assert(!memcmp(&v1->init_regs, &want_r, sizeof(want_r)));
	ck_assert(!memcmp(&v1->init_sregs, &want_s, sizeof(want_s)));
	ck_assert_int_eq(hc(SV_HC_VCPU_GET_REGS, vm->id, 1, 0x10000), 0);
	ck_assert_int_eq(hc(SV_HC_VCPU_SET_REGS, vm->id, 1, 0x10000), -EBUSY);
	ck_assert_int_eq(hc(SV_HC_VCPU_SET_SREGS, vm->id, 1, 0x11000), -EBUSY);
	ck_assert_int_eq(hc(SV_HC_VCPU_SET_MP_STATE, vm->id, 1, SV_MP_STATE_RUNNABLE), 0);
	ck_assert_int_eq(hc(SV_HC_VCPU_GET_REGS, vm->id, 1, 0x10000), 0);
	ck_assert_int_eq(hc(SV_HC_VCPU_SET_REGS, vm->id, 1, 0x10000), 0);   /* its again */
	ck_assert_int_eq(hc(SV_HC_VCPU_SET_MP_STATE, vm->id, 1, SV_MP_STATE_WAIT_SIPI), 0);
	ck_assert_int_eq(vm_finalize(vm), 0);
	/* After finalize the state is the guest's: GET only. */
	ck_assert_int_eq(hc(SV_HC_VCPU_SET_MP_STATE, vm->id, 1, SV_MP_STATE_RUNNABLE), -EPERM);
	ck_assert_int_eq(hc(SV_HC_VCPU_SET_MP_STATE, vm->id, 0, SV_MP_STATE_WAIT_SIPI), -EPERM);
	ck_assert_int_eq(hc(SV_HC_VCPU_GET_MP_STATE, vm->id, 1, 0), SV_MP_STATE_WAIT_SIPI);
}
END_TEST

/* VCPU_RUN of a vCPU waiting for SIPI never enters: SV_EXIT_PREEMPT. */
START_TEST(a_waiting_vcpu_does_not_enter_and_a_sipi_starts_it_in_real_mode)
{
	struct sv_run *run = vm_guest_ptr(control, RUN_GPA, sizeof(*run));

	ck_assert_int_eq(hc(SV_HC_VCPU_SET_MP_STATE, vm->id, 1, SV_MP_STATE_WAIT_SIPI), 0);
	ck_assert_int_eq(vm_finalize(vm), 0);
	memset(run, 0, sizeof(*run));
	fake_nevents = 0;
	ck_assert_int_eq(hc(SV_HC_VCPU_RUN, vm->id, 1, RUN_GPA), 0);
	ck_assert_uint_eq(run->exit_reason, SV_EXIT_PREEMPT);
	ck_assert_int_eq(fake_count(EV_ENTRY), 0);
	/* A fixed IPI does not start it either (it lands in its IRR). */
	icr(v0, 1UL << 32 | 0x70);
	ck_assert_int_eq(hc(SV_HC_VCPU_RUN, vm->id, 1, RUN_GPA), 0);
	ck_assert_int_eq(fake_count(EV_ENTRY), 0);
	ck_assert(in_irr(v1, 0x70));
	fake_nset_state = 0;
	icr(v0, 1UL << 32 | ICR_SIPI | 0x08);
	ck_assert(v1->mp_posted);
	ck_assert_int_eq(fake_nset_state, 0);                   /* only its own run applies it */
	ck_assert(vcpu_mp_sync(v1));
	ck_assert_int_eq(fake_nset_state, 1);
	ck_assert_uint_eq(fake_last_sregs.cs.selector, 0x0800);
	ck_assert_uint_eq(fake_last_sregs.cs.base, 0x8000);
	ck_assert_uint_eq(fake_last_regs.rip, 0);
	ck_assert_uint_eq(fake_last_sregs.cr0 & X86_CR0_PE, 0);
	ck_assert_int_eq(hc(SV_HC_VCPU_GET_MP_STATE, vm->id, 1, 0), SV_MP_STATE_RUNNABLE);
	/* A second SIPI to the running vCPU is ignored. */
	icr(v0, 1UL << 32 | ICR_SIPI | 0x0a);
	ck_assert(vcpu_mp_sync(v1));
	ck_assert_int_eq(fake_nset_state, 1);
	/* Now it enters. */
	fake_exits[0] = (struct vm_exit){ .reason = VMEXIT_HLT };
	fake_nexits = 1, fake_next_exit = 0;
	ck_assert_int_eq(hc(SV_HC_VCPU_RUN, vm->id, 1, RUN_GPA), 0);
	ck_assert_int_eq(fake_count(EV_ENTRY), 1);
	ck_assert_uint_eq(run->exit_reason, SV_EXIT_HLT);
}
END_TEST

START_TEST(init_stops_a_running_vcpu_and_resets_its_apic_except_the_id)
{
	uint64_t svr = 0x1ff, tpr = 0x20;

	ck_assert_int_eq(vm_finalize(vm), 0);
	ck_assert_int_eq(vlapic_msr_write(v1, 0x80f, &svr), 0);
	ck_assert_int_eq(vlapic_msr_write(v1, 0x808, &tpr), 0);
	vlapic_accept(&v1->lapic, 0x50, false);
	v1->halted = true;
	v1->sw.dr[0] = 0x1234;
	icr(v0, 1UL << 32 | 0x71);                          /* posted, not merged yet */
	icr(v0, 1UL << 32 | ICR_INIT | ICR_ASSERT);
	fake_nset_state = 0;
	vlapic_sync(v1, 0);
	ck_assert(!vcpu_mp_sync(v1));
	ck_assert_int_eq(v1->mp_state, SV_MP_STATE_WAIT_SIPI);
	ck_assert_int_eq(fake_nset_state, 1);
	ck_assert_uint_eq(fake_last_regs.rip, 0xfff0);
	ck_assert_uint_eq(fake_last_sregs.cs.base, 0xffff0000);
	ck_assert_uint_eq(v1->lapic.id, 1);
	ck_assert_uint_eq(v1->lapic.svr, 0xff);
	ck_assert_uint_eq(v1->lapic.tpr, 0);
	ck_assert(!in_irr(v1, 0x50) && !in_irr(v1, 0x71));
	ck_assert(!v1->halted);
	ck_assert_uint_eq(v1->sw.dr[0], 0);
	/* INIT again while waiting: still waiting. */
	icr(v0, 1UL << 32 | ICR_INIT | ICR_ASSERT);
	ck_assert(!vcpu_mp_sync(v1));
	/* Level de-assert, and INIT with the self or all-including-self
	 * shorthand: nothing is posted. */
	icr(v0, 1UL << 32 | ICR_INIT | ICR_LEVEL);
	icr(v0, ICR_INIT | ICR_ASSERT | 1u << 18);
	icr(v0, ICR_INIT | ICR_ASSERT | 2u << 18);
	ck_assert_uint_eq(v0->mp_posted | v1->mp_posted, 0);
	/* INIT then SIPI taken together: it starts; SIPI then INIT: it waits. */
	icr(v0, 1UL << 32 | ICR_SIPI | 0x10);
	ck_assert(vcpu_mp_sync(v1));
	ck_assert_uint_eq(fake_last_sregs.cs.base, 0x10000);
	icr(v0, 1UL << 32 | ICR_INIT | ICR_ASSERT);
	icr(v0, 1UL << 32 | ICR_SIPI | 0x11);
	ck_assert(vcpu_mp_sync(v1));
	ck_assert_uint_eq(fake_last_sregs.cs.base, 0x11000);
	icr(v0, 1UL << 32 | ICR_SIPI | 0x12);
	icr(v0, 1UL << 32 | ICR_INIT | ICR_ASSERT);
	ck_assert(!vcpu_mp_sync(v1));
	ck_assert_uint_eq(v1->mp_state, SV_MP_STATE_WAIT_SIPI);
	/* All-but-self reaches vCPU 1 only; vCPU 0 is the BSP: after an INIT
	 * (sent by vCPU 1 here) it runs on from the reset vector. */
	icr(v0, ICR_SIPI | 3u << 18 | 0x13);
	ck_assert(vcpu_mp_sync(v1) && !v0->mp_posted);
	icr(v1, 0UL << 32 | ICR_INIT | ICR_ASSERT);
	ck_assert(vcpu_mp_sync(v0));
	ck_assert_uint_eq(fake_last_regs.rip, 0xfff0);
	ck_assert_int_eq(v0->mp_state, SV_MP_STATE_RUNNABLE);
	/* An INIT a vCPU sends itself by its id resets it, as on hardware;
	 * INIT and SIPI to a logical destination work like physical ones. */
	icr(v1, 1UL << 32 | ICR_INIT | ICR_ASSERT);
	ck_assert(!vcpu_mp_sync(v1));
	icr(v0, 0x2UL << 32 | ICR_LOGICAL | ICR_SIPI | 0x20);
	ck_assert(vcpu_mp_sync(v1));
	ck_assert_uint_eq(fake_last_sregs.cs.selector, 0x2000);
	icr(v0, 0x2UL << 32 | ICR_LOGICAL | ICR_INIT | ICR_ASSERT);
	ck_assert(!vcpu_mp_sync(v1));
}
END_TEST

START_TEST(logical_and_lowest_priority_ipis_reach_the_right_vcpus)
{
	uint64_t tpr = 0x20;

	ck_assert_int_eq(vm_finalize(vm), 0);
	icr(v0, 0x2UL << 32 | ICR_LOGICAL | 0x41);          /* cluster 0, bit 1 */
	vlapic_sync(v1, 0);
	ck_assert(in_irr(v1, 0x41) && !in_irr(v0, 0x41));
	icr(v0, 0x3UL << 32 | ICR_LOGICAL | 0x42);          /* both */
	vlapic_sync(v1, 0);
	ck_assert(in_irr(v1, 0x42) && in_irr(v0, 0x42));
	icr(v0, 0x10003UL << 32 | ICR_LOGICAL | 0x45);      /* cluster 1: nobody */
	vlapic_sync(v1, 0);
	ck_assert(!in_irr(v1, 0x45) && !in_irr(v0, 0x45));
	icr(v0, 0x1UL << 32 | 0x46);                        /* physical id 1, not logical */
	vlapic_sync(v1, 0);
	ck_assert(in_irr(v1, 0x46) && !in_irr(v0, 0x46));
	/* Lowest priority: exactly one, the lower TPR class, ties to vCPU 0. */
	icr(v1, 0x3UL << 32 | ICR_LOGICAL | ICR_LOWEST | 0x43);
	vlapic_sync(v1, 0);
	vlapic_sync(v0, 0);
	ck_assert(in_irr(v0, 0x43) && !in_irr(v1, 0x43));
	ck_assert_int_eq(vlapic_msr_write(v0, 0x808, &tpr), 0);
	icr(v1, 0x3UL << 32 | ICR_LOGICAL | ICR_LOWEST | 0x44);
	vlapic_sync(v1, 0);
	vlapic_sync(v0, 0);
	ck_assert(in_irr(v1, 0x44) && !in_irr(v0, 0x44));
	icr(v0, 0xffffffffUL << 32 | ICR_LOWEST | 0x47);    /* broadcast: still one */
	vlapic_sync(v1, 0);
	ck_assert(in_irr(v1, 0x47) && !in_irr(v0, 0x47));
	icr(v0, 0x4UL << 32 | ICR_LOGICAL | ICR_LOWEST | 0x48);   /* no match: nobody */
	vlapic_sync(v1, 0);
	ck_assert(!in_irr(v1, 0x48) && !in_irr(v0, 0x48));
	/* NMI to a logical destination: raised at vCPU 1 only. */
	uint64_t nmi = 0x2UL << 32 | ICR_LOGICAL | 4u << 8;
	ck_assert_int_eq(vlapic_msr_write(v0, ICR, &nmi), 0);
	ck_assert_uint_eq(v1->nmi_queued, 1);
	ck_assert_uint_eq(v0->nmi_queued, 0);
}
END_TEST

/* Record 8 makes the MP state part of the digest; a launch with every
 * vCPU runnable measures as before (no record 8). */
START_TEST(the_mp_state_is_measured)
{
	struct vm *other;
	struct memobj *o2;
	struct sv_regs r;
	struct sv_sregs s;

	ck_assert_int_eq(memobj_create(MEMOBJ_ALLOW_SEALING, &o2), 0);
	ck_assert_int_eq(memobj_add_seals(o2, MEMOBJ_SEAL_GUEST), 0);
	ck_assert_int_eq(memobj_set_size(o2, 2 * MB), 0);
	ck_assert_int_eq(vm_create_guest(&other), 0);
	ck_assert_int_eq(vm_set_region(other, 0, 2 * MB, o2, 0), 0);
	ck_assert_int_eq(vcpu_create(other, 0, &(struct sv_vcpu_regs){ .rip = 0x100000 }), 0);
	ck_assert_int_eq(vcpu_create(other, 1, &(struct sv_vcpu_regs){ .rip = 0x100000 }), 0);
	/* Same registers (the INIT state), different MP state. */
	ck_assert_int_eq(hc(SV_HC_VCPU_SET_MP_STATE, vm->id, 1, SV_MP_STATE_WAIT_SIPI), 0);
	vcpu_state_init(&r, &s);
	ck_assert_int_eq(vcpu_set_state(&other->vcpus[1], &r, &s), 0);
	ck_assert_int_eq(vm_finalize(vm), 0);
	ck_assert_int_eq(vm_finalize(other), 0);
	ck_assert(memcmp(vm->measurement, other->measurement, SV_MEASUREMENT_SIZE));
	/* WAIT then RUNNABLE again: exactly the other launch. */
	struct memobj *o3;
	vm_destroy(vm);
	ck_assert_int_eq(memobj_create(MEMOBJ_ALLOW_SEALING, &o3), 0);
	ck_assert_int_eq(memobj_add_seals(o3, MEMOBJ_SEAL_GUEST), 0);
	ck_assert_int_eq(memobj_set_size(o3, 2 * MB), 0);
	ck_assert_int_eq(vm_create_guest(&vm), 0);
	ck_assert_int_eq(vm_set_region(vm, 0, 2 * MB, o3, 0), 0);
	ck_assert_int_eq(vcpu_create(vm, 0, &(struct sv_vcpu_regs){ .rip = 0x100000 }), 0);
	ck_assert_int_eq(vcpu_create(vm, 1, &(struct sv_vcpu_regs){ .rip = 0x100000 }), 0);
	ck_assert_int_eq(hc(SV_HC_VCPU_SET_MP_STATE, vm->id, 1, SV_MP_STATE_WAIT_SIPI), 0);
	ck_assert_int_eq(hc(SV_HC_VCPU_SET_MP_STATE, vm->id, 1, SV_MP_STATE_RUNNABLE), 0);
	ck_assert_int_eq(vm_finalize(vm), 0);
	ck_assert(!memcmp(vm->measurement, other->measurement, SV_MEASUREMENT_SIZE));
	vm_destroy(other);
	vm_destroy(vm);
	memobj_close(o2);
	memobj_close(o3);
}
END_TEST

/* NMIs raised before an INIT go with it, folded or not (as KVM's
 * kvm_vcpu_reset): the new state, real mode at the reset vector or the
 * SIPI's, has no handler for one before its code sets up a vector
 * table. One raised after it arrives. Failed before apply_init dropped
 * them (the SIPI's first entry took the NMI). */
START_TEST(init_drops_the_nmis_raised_before_it)
{
	ck_assert_int_eq(vm_finalize(vm), 0);
	vcpu_raise_nmi(v1);
	vcpu_raise_nmi(v1);
	ck_assert_uint_eq(vcpu_pending_nmis(v1), 2);           /* folded into nmi_pending */
	vcpu_raise_nmi(v1);                                    /* and one still queued */
	icr(v0, 1UL << 32 | ICR_INIT | ICR_ASSERT);
	ck_assert(!vcpu_mp_sync(v1));
	icr(v0, 1UL << 32 | ICR_SIPI | 0x10);
	ck_assert(vcpu_mp_sync(v1));
	ck_assert_uint_eq(vcpu_pending_nmis(v1), 0);
	vcpu_raise_nmi(v1);
	ck_assert_uint_eq(vcpu_pending_nmis(v1), 1);
}
END_TEST

Suite *mp_suite(void)
{
	Suite *s = suite_create("INIT/SIPI and IPI destinations");
	TCase *pure = tcase_create("model");
	TCase *tc = tcase_create("vcpus");

	tcase_add_test(pure, ldr_is_cluster_and_bit_of_the_id);
	tcase_add_test(pure, destinations_match_physically_and_logically);
	tcase_add_test(pure, icr_decodes_lowest_priority_and_init_deassert);
	tcase_add_test(pure, reset_keeps_only_the_id);
	tcase_add_test(pure, the_init_state_passes_the_checks_and_sipi_moves_only_cs_and_ip);
	suite_add_tcase(s, pure);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, mp_state_calls_check_every_argument);
	tcase_add_test(tc, wait_sipi_loads_the_init_state_which_set_regs_cannot_change);
	tcase_add_test(tc, a_waiting_vcpu_does_not_enter_and_a_sipi_starts_it_in_real_mode);
	tcase_add_test(tc, init_stops_a_running_vcpu_and_resets_its_apic_except_the_id);
	tcase_add_test(tc, init_drops_the_nmis_raised_before_it);
	tcase_add_test(tc, logical_and_lowest_priority_ipis_reach_the_right_vcpus);
	tcase_add_test(tc, the_mp_state_is_measured);
	suite_add_tcase(s, tc);
	return s;
}
