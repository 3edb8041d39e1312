/*
 * hostile-control's attacks on private and shared memory (issue 13), from
 * the VMM's side, with a tiny guest that reads a private page D and a
 * shared page S and reports each byte on port 0xf4 (it has no IDT: an
 * exception, #VE included, ends it with a triple fault):
 *   - the VMM punches D after the guest read it: the guest's next read of
 *     D is a #VE (SV_EXIT_SHUTDOWN here), never the zero page;
 *   - the VMM converts D to shared behind the guest's back and plants a
 *     byte there: the guest never reads it (#VE again);
 *   - the same punch of a guest that never made or saw any attribute
 *     call (acceptance is on for every GUEST region from finalize): #VE;
 *   - what the VMM writes into shared memory the guest reads (allowed);
 *   - every call the VMM could use to reach private memory is refused.
 */
#ifndef TESTS_GUESTS_HOSTILE_MEMATTR_H
#define TESTS_GUESTS_HOSTILE_MEMATTR_H

#include "tests/guests/hostile.h"

#define MA_D 0x180000UL
#define MA_S 0x1c0000UL

/* mov al, [D]; out 0xf4, al; mov al, [S]; out 0xf4, al; mov al, [D];
 * out 0xf4, al; hlt; jmp $ */
static const uint8_t ma_code[] = {
	0xa0, 0x00, 0x00, 0x18, 0, 0, 0, 0, 0, 0xe6, 0xf4,
	0xa0, 0x00, 0x00, 0x1c, 0, 0, 0, 0, 0, 0xe6, 0xf4,
	0xa0, 0x00, 0x00, 0x18, 0, 0, 0, 0, 0, 0xe6, 0xf4,
	0xf4, 0xeb, 0xfe,
};

struct ma_vm { int64_t g, sh, vm; };

/* A finalized VM: D holds 0x5a; with attrs, S starts shared (measured)
 * and the shared object holds 0x77 at S; without, no attribute call is
 * made at all and S is a private page populated with 0x77. */
static struct ma_vm ma_launch_with(const char *what, bool attrs)
{
	static uint64_t pt[GUEST_PT_LEN / 8];
	static const uint8_t d = 0x5a, s = 0x77;
	struct sv_vcpu_regs regs = { .rip = MB, .rsp = 2 * MB - 8, .cr3 = GUEST_PT };
	struct ma_vm m = { guest_object(2 * MB, false), sv_call1(SV_HC_MEMOBJ_CREATE, MEMOBJ_ALLOW_SEALING),
			   sv_call0(SV_HC_VM_CREATE) };

	sv_printf("hostile-control: memory attributes: %s\n", what);
	guest_page_tables(pt);
	expect("attr VM: bind", sv_call5(SV_HC_VM_SET_REGION, m.vm, 0, 2 * MB, m.g, 0), 0);
	expect("attr VM: page tables", sv_call4(SV_HC_VM_POPULATE, m.vm, GUEST_PT, (uint64_t)pt, GUEST_PT_LEN), 0);
	expect("attr VM: code", sv_call4(SV_HC_VM_POPULATE, m.vm, MB, (uint64_t)ma_code, sizeof(ma_code)), 0);
	expect("attr VM: D", sv_call4(SV_HC_VM_POPULATE, m.vm, MA_D, (uint64_t)&d, 1), 0);
	if (attrs) {
		expect("attr VM: S shared before finalize", sv_call4(SV_HC_VM_SET_MEMORY_ATTRIBUTES, m.vm, MA_S, PAGE, SV_MEMATTR_SHARED), 0);
		expect("attr VM: shared object size", sv_call2(SV_HC_MEMOBJ_SET_SIZE, m.sh, 2 * MB), 0);
		expect("attr VM: shared memory bound", sv_call4(SV_HC_VM_SET_SHARED_MEMORY, m.vm, 0, m.sh, 0), 0);
		expect("attr VM: a byte into shared memory", sv_call4(SV_HC_MEMOBJ_WRITE, m.sh, MA_S, (uint64_t)&s, 1), 1);
	} else {
		expect("plain VM: S private", sv_call4(SV_HC_VM_POPULATE, m.vm, MA_S, (uint64_t)&s, 1), 0);
	}
	expect("attr VM: vCPU", sv_call3(SV_HC_VCPU_CREATE, m.vm, 0, (uint64_t)&regs), 0);
	expect("attr VM: finalize", sv_call1(SV_HC_VM_FINALIZE, m.vm), 0);
	return m;
}

static struct ma_vm ma_launch(const char *what)
{
	return ma_launch_with(what, true);
}

/* One VCPU_RUN: the byte the guest reported, or -1 for a shutdown. */
static int64_t ma_run(struct ma_vm *m)
{
	static struct sv_run run;

	expect("attr VM: run", sv_call3(SV_HC_VCPU_RUN, m->vm, 0, (uint64_t)&run), 0);
	if (run.exit_reason == SV_EXIT_SHUTDOWN)
		return -1;
	return run.exit_reason == SV_EXIT_IO && run.io.port == 0xf4 ? (int64_t)(run.io.data & 0xff)
								     : -2 - (int64_t)run.exit_reason;
}

static void ma_destroy(struct ma_vm *m)
{
	expect("attr VM: destroy", sv_call1(SV_HC_VM_DESTROY, m->vm), 0);
	expect("attr VM: close its object", sv_call1(SV_HC_MEMOBJ_CLOSE, m->g), 0);
	expect("attr VM: close the shared object", sv_call1(SV_HC_MEMOBJ_CLOSE, m->sh), 0);
}

static void memory_attributes(void)
{
	struct sv_stats base = stats(0);
	static uint8_t buf[8];
	static const uint8_t planted = 0x66;
	struct ma_vm m = ma_launch("the VMM punches an accepted page");

	expect("attr: SET_MEMORY_ATTRIBUTES of no VM", sv_call4(SV_HC_VM_SET_MEMORY_ATTRIBUTES, 0, 0, PAGE, 1), -ENOENT);
	expect("attr: unaligned range", sv_call4(SV_HC_VM_SET_MEMORY_ATTRIBUTES, m.vm, MA_D + 1, PAGE, 1), -EINVAL);
	expect("attr: past the region", sv_call4(SV_HC_VM_SET_MEMORY_ATTRIBUTES, m.vm, 2 * MB, PAGE, 1), -EINVAL);
	expect("attr: attribute 2", sv_call4(SV_HC_VM_SET_MEMORY_ATTRIBUTES, m.vm, MA_D, PAGE, 2), -EINVAL);
	expect("attr: bind shared memory twice", sv_call4(SV_HC_VM_SET_SHARED_MEMORY, m.vm, 0, m.sh, 0), -EEXIST);
	expect("attr: bind the private object as shared", sv_call4(SV_HC_VM_SET_SHARED_MEMORY, m.vm, 0, m.g, 0), -EPERM);
	expect("attr: GUEST-seal the shared object", sv_call2(SV_HC_MEMOBJ_ADD_SEALS, m.sh, MEMOBJ_SEAL_GUEST), -EBUSY);
	expect("attr: read private memory", sv_call4(SV_HC_MEMOBJ_READ, m.g, MA_D, (uint64_t)buf, 1), -EPERM);
	expect("attr: guest reads its private byte", ma_run(&m), 0x5a);
	expect("attr: guest reads the VMM's shared byte", ma_run(&m), 0x77);
	expect("attr: punch the accepted page", sv_call4(SV_HC_MEMOBJ_FALLOCATE, m.g, MEMOBJ_FALLOC_PUNCH_HOLE | MEMOBJ_FALLOC_KEEP_SIZE, MA_D, PAGE), 0);
	expect("attr: the guest's next read is a #VE, not a zero page", ma_run(&m), -1);
	ma_destroy(&m);

	m = ma_launch("the VMM converts a page the guest did not ask for");
	expect("attr: guest reads its private byte", ma_run(&m), 0x5a);
	expect("attr: guest reads the VMM's shared byte", ma_run(&m), 0x77);
	expect("attr: convert D to shared, unasked", sv_call4(SV_HC_VM_SET_MEMORY_ATTRIBUTES, m.vm, MA_D, PAGE, SV_MEMATTR_SHARED), 0);
	expect("attr: plant a byte there", sv_call4(SV_HC_MEMOBJ_WRITE, m.sh, MA_D, (uint64_t)&planted, 1), 1);
	expect("attr: the guest never reads the planted byte (#VE)", ma_run(&m), -1);
	ma_destroy(&m);

	/* No attribute call by anyone: the default is the same. */
	m = ma_launch_with("the VMM punches a page of a guest that never used attributes", false);
	expect("plain: guest reads its private byte", ma_run(&m), 0x5a);
	expect("plain: guest reads its other private byte", ma_run(&m), 0x77);
	expect("plain: punch the page the guest read", sv_call4(SV_HC_MEMOBJ_FALLOCATE, m.g, MEMOBJ_FALLOC_PUNCH_HOLE | MEMOBJ_FALLOC_KEEP_SIZE, MA_D, PAGE), 0);
	expect("plain: the guest's next read is a #VE, not a zero page", ma_run(&m), -1);
	ma_destroy(&m);
	expect_baseline("after the memory-attribute VMs", &base);
}

#endif
