/* Launch measurement records (format in hv/measure.h). */
#include "hv/measure.h"
#include "hv/msr.h"
#include "hv/partition.h"

static void put_u64s(struct sha256 *h, const uint64_t *v, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		uint8_t le[8];
		for (unsigned b = 0; b < 8; b++)
			le[b] = (uint8_t)(v[i] >> (8 * b));
		sha256_update(h, le, sizeof(le));
	}
}

void launch_start(struct sha256 *h)
{
	const uint64_t version = LAUNCH_FORMAT_VERSION;

	sha256_init(h);
	sha256_update(h, "SVLAUNCH", 8);
	put_u64s(h, &version, 1);
}

void launch_populate_head(struct sha256 *h, uint64_t gpa, uint64_t len)
{
	const uint64_t rec[] = { LAUNCH_POPULATE, gpa, len };

	put_u64s(h, rec, 3);
}

struct runs {
	struct sha256 *h;
	uint64_t gpa, n;
};

static void count_run(void *ctx, uint64_t pg, uint64_t n)
{
	(void)pg, (void)n;
	((struct runs *)ctx)->n++;
}

static void put_run(void *ctx, uint64_t pg, uint64_t n)
{
	struct runs *r = ctx;
	const uint64_t rec[] = { r->gpa + (pg << 12), n << 12 };

	put_u64s(r->h, rec, 2);
}

/* Record 9: which pages of the region start shared. */
static void layout_memattr(struct sha256 *h, const struct region *g)
{
	struct runs r = { h, g->gpa, 0 };

	memattr_shared_runs(g->attr, count_run, &r);
	const uint64_t head[] = { LAUNCH_MEMATTR, g->gpa, r.n };
	put_u64s(h, head, 3);
	memattr_shared_runs(g->attr, put_run, &r);
}

/* Regions in ascending gpa, whatever order they were bound in: a verifier
 * describes a layout, not the VMM's call sequence. Regions never overlap,
 * so the order is total. */
static void layout_regions(struct sha256 *h, struct vm *vm)
{
	uint64_t last = 0;

	for (unsigned n = 0; n < vm->nr_regions; n++) {
		const struct region *next = NULL;
		for (unsigned i = 0; i < vm->nr_regions; i++) {
			const struct region *r = &vm->regions[i];
			if ((n == 0 || r->gpa > last) && (!next || r->gpa < next->gpa))
				next = r;
		}
		const uint64_t rec[] = { LAUNCH_REGION, next->gpa, next->size, next->offset,
					 memobj_get_seals(next->obj) };
		put_u64s(h, rec, 5);
		if (next->attr)
			layout_memattr(h, next);
		last = next->gpa;
	}
}

uint64_t vm_msr_policy(const struct vm *vm)
{
	return msr_policy_word(vm);
}

static void layout_cpuid(struct sha256 *h, const struct vm *vm)
{
	const uint64_t head[] = { LAUNCH_CPUID, vm->nr_cpuid };

	put_u64s(h, head, 2);
	for (unsigned k = 0; k < vm->nr_cpuid; k++) {
		const struct sv_cpuid_entry *e = &vm->cpuid[k];
		const uint64_t rec[] = { e->function, e->index, e->flags, e->eax, e->ebx, e->ecx,
					 e->edx };
		put_u64s(h, rec, 7);
	}
}

static void put_segment(struct sha256 *h, const struct sv_segment *g)
{
	const uint64_t rec[] = { g->base, g->limit, g->selector, g->attr };

	put_u64s(h, rec, 4);
}

/* Field by field in the documented order, never the structs' memory. */
static void vcpu_state(struct sha256 *h, unsigned id, const struct sv_regs *r,
		       const struct sv_sregs *s)
{
	const uint64_t regs[] = { LAUNCH_VCPU_STATE, id, r->rax, r->rbx, r->rcx, r->rdx, r->rsi,
				  r->rdi, r->rsp, r->rbp, r->r8, r->r9, r->r10, r->r11, r->r12,
				  r->r13, r->r14, r->r15, r->rip, r->rflags };
	const struct sv_segment *segs[] = { &s->cs, &s->ds, &s->es, &s->fs, &s->gs, &s->ss,
					    &s->tr, &s->ldt };
	const uint64_t sys[] = { s->gdt.base, s->gdt.limit, s->idt.base, s->idt.limit, s->cr0,
				 s->cr2, s->cr3, s->cr4, s->cr8, s->efer };

	put_u64s(h, regs, 20);
	for (unsigned i = 0; i < 8; i++)
		put_segment(h, segs[i]);
	put_u64s(h, sys, 10);
}

void launch_layout(struct sha256 *h, struct vm *vm)
{
	uint64_t count[] = { LAUNCH_VCPU_COUNT, 0 };
	const uint64_t msr[] = { LAUNCH_MSR_POLICY, vm_msr_policy(vm) };

	layout_regions(h, vm);
	layout_cpuid(h, vm);
	put_u64s(h, msr, 2);
	for (unsigned i = 0; i < SV_MAX_VCPUS; i++)
		count[1] += vm->vcpus[i].created;
	put_u64s(h, count, 2);
	for (unsigned i = 0; i < SV_MAX_VCPUS; i++) {
		const struct vcpu *v = &vm->vcpus[i];
		if (!v->created)
			continue;
		vcpu_state(h, i, &v->init_regs, &v->init_sregs);
		if (v->mp_state != SV_MP_STATE_RUNNABLE) {
			const uint64_t mp[] = { LAUNCH_MP_STATE, i, v->mp_state };
			put_u64s(h, mp, 3);
		}
	}
}
