/*
 * make bench: what a confidential guest's conversions and acceptance cost
 * (issue 13), in 4 KiB and 2 MiB units, on the host build of hv/ with the
 * fake backend. Figures only.
 *
 * Each run: a finalized guest VM over a 64 MiB GUEST-sealed object (4 KiB
 * pages for the 4 KiB rows, 2 MiB extents for the 2 MiB rows), every page
 * written through the VM's fault path (so mapped, as a guest that used
 * its memory), then over the whole region one unit at a time:
 *  - private -> shared: SV_HC_VM_SET_MEMORY_ATTRIBUTES through
 *    hypercall_dispatch (punches the private pages, zaps, marks);
 *  - shared -> private: the same call back (zaps, marks, unaccepts);
 *  - ACCEPT: the guest call's handler (memattr_guest_call, what a guest's
 *    VMMCALL reaches without the VM exit itself): punches what the
 *    private object held and marks the unit accepted; the zero page comes
 *    at the guest's next touch, not here.
 */
#include <stdio.h>
#include <sealvisor/hypercall.h>
#include "hv/memattr_vm.h"
#include "hv/partition.h"
#include "hv/vm.h"
#include "mm/memobj.h"
#include "tests/bench/bench.h"

#define REGION (64 * MIB)
#define UNIT_2M (2 * MIB)

struct costs {
	double to_shared[RUNS], to_private[RUNS], accept[RUNS];
};

static void convert(struct vm *vm, uint64_t unit, uint64_t shared)
{
	for (uint64_t gpa = 0; gpa < REGION; gpa += unit)
		if (sv_hc(SV_HC_VM_SET_MEMORY_ATTRIBUTES, vm->id, gpa, unit, shared))
			die("SV_HC_VM_SET_MEMORY_ATTRIBUTES");
}

static void accept_all(struct vm *vm, uint64_t unit)
{
	struct vcpu *v = &vm->vcpus[0];
	struct sv_run run;

	for (uint64_t gpa = 0; gpa < REGION; gpa += unit) {
		v->regs.rax = SV_HC_GUEST_ACCEPT, v->regs.rdi = gpa, v->regs.rsi = unit;
		if (memattr_guest_call(v, &run) || v->regs.rax)
			die("SV_HC_GUEST_ACCEPT");
	}
}

static void one_run(uint64_t unit, struct costs *c, int r)
{
	int h = sv_object(unit == UNIT_2M ? 0 : MEMOBJ_4K_ONLY, true, REGION);
	struct vm *vm = sv_guest(h, REGION);

	sv_write_pages(h, vm, REGION);
	double t0 = now();
	convert(vm, unit, SV_MEMATTR_SHARED);
	double t1 = now();
	convert(vm, unit, 0);
	double t2 = now();
	accept_all(vm, unit);
	double t3 = now();
	c->to_shared[r] = t1 - t0;
	c->to_private[r] = t2 - t1;
	c->accept[r] = t3 - t2;
	vm_destroy(vm);
	if (sv_hc(SV_HC_MEMOBJ_CLOSE, h, 0, 0, 0))
		die("close");
}

/* ns per call (one unit) from a row's median in ns per 4 KiB. */
static void per_call(const char *what, int row, uint64_t unit)
{
	printf("  %-44s %10.0f ns per %s\n", what, row_median(row) * (unit / KIB4),
	       unit == UNIT_2M ? "2 MiB" : "4 KiB");
}

void bench_memattr(void)
{
	static const struct { uint64_t unit; const char *names[3]; } units[] = {
		{ KIB4, { "memattr 4K: private -> shared (hypercall)",
			  "memattr 4K: shared -> private (hypercall)",
			  "memattr 4K: ACCEPT (guest call handler)" } },
		{ UNIT_2M, { "memattr 2M: private -> shared (hypercall)",
			     "memattr 2M: shared -> private (hypercall)",
			     "memattr 2M: ACCEPT (guest call handler)" } },
	};
	int rows[2][3];

	for (unsigned u = 0; u < 2; u++) {
		struct costs c;
		for (int r = 0; r < RUNS; r++)
			one_run(units[u].unit, &c, r);
		rows[u][0] = row_add(units[u].names[0], NULL, REGION, c.to_shared, -1, 0);
		rows[u][1] = row_add(units[u].names[1], NULL, REGION, c.to_private, -1, 0);
		rows[u][2] = row_add(units[u].names[2], NULL, REGION, c.accept, -1, 0);
	}
	printf("conversion and acceptance, median of %d runs over a 64 MiB region, per call:\n",
	       RUNS);
	for (unsigned u = 0; u < 2; u++)
		for (unsigned k = 0; k < 3; k++)
			per_call(units[u].names[k], rows[u][k], units[u].unit);
	printf("\n");
}
