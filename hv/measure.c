/* Launch measurement records (format in hv/measure.h). */
#include "hv/measure.h"
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
		last = next->gpa;
	}
}

void launch_layout(struct sha256 *h, struct vm *vm)
{
	uint64_t count[] = { LAUNCH_VCPU_COUNT, 0 };

	layout_regions(h, vm);
	for (unsigned i = 0; i < SV_MAX_VCPUS; i++)
		count[1] += vm->vcpus[i].created;
	put_u64s(h, count, 2);
	for (unsigned i = 0; i < SV_MAX_VCPUS; i++) {
		const struct sv_vcpu_regs *r = &vm->vcpus[i].initial;
		if (!vm->vcpus[i].created)
			continue;
		const uint64_t rec[] = { LAUNCH_VCPU, i, r->rip, r->rsp, r->rdi, r->rsi,
					 r->rdx, r->rcx, r->cr3 };
		put_u64s(h, rec, 9);
	}
}
