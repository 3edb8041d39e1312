/* Reading the guest's current instruction (hv/guest_fetch.h). */
#include <sealvisor/errno.h>
#include "hv/guest_fetch.h"
#include "hv/vm.h"
#include "hv/partition.h"
#include "mm/phys.h"
#include "lib/string.h"

#define PTE_P    1UL
#define PTE_PS   (1UL << 7)
#define PTE_ADDR 0x000ffffffffff000UL
#define CR0_PG   (1UL << 31)

int guest_read_gpa(struct vm *vm, uint64_t gpa, void *out, unsigned len)
{
	struct region *r = vm_find_region(vm, gpa);
	uint64_t pa;
	unsigned order;

	if (!r || (gpa & ~PAGE_MASK) + len > PAGE_SIZE || gpa + len > r->gpa + r->size)
		return -EFAULT;
	uint64_t off = r->offset + (gpa - r->gpa);
	int err = memobj_get_page(r->obj, off >> PAGE_SHIFT, &pa, &order);
	if (err)
		return err;
	memcpy(out, (const uint8_t *)phys_to_virt(pa) + (off & ~PAGE_MASK), len);
	memobj_put_page(r->obj, pa);
	return 0;
}

int guest_read_vcpu_gpa(void *vcpu, uint64_t gpa, void *out, unsigned len)
{
	return guest_read_gpa(((struct vcpu *)vcpu)->vm, gpa, out, len);
}

/* 4-level walk (a paging guest is in long mode: vcpu_state_check refuses
 * legacy paging and CR0.PG never changes). */
static int translate(struct vm *vm, uint64_t cr3, uint64_t va, uint64_t *gpa)
{
	uint64_t table = cr3 & PTE_ADDR, e;

	for (int level = 3; level >= 0; level--) {
		uint64_t idx = (va >> (12 + 9 * level)) & 511;
		if (guest_read_gpa(vm, table + idx * 8, &e, 8) || !(e & PTE_P))
			return -EFAULT;
		if (level == 0 || (level <= 2 && (e & PTE_PS))) {
			uint64_t size = 1UL << (12 + 9 * level);
			*gpa = (e & PTE_ADDR & ~(size - 1)) | (va & (size - 1));
			return 0;
		}
		table = e & PTE_ADDR;
	}
	return -EFAULT;
}

int guest_fetch_insn(struct vcpu *v, const struct guest_code *c, uint8_t *buf, unsigned n,
		     enum insn_mode *mode, unsigned *got)
{
	bool paging = c->cr0 & CR0_PG;
	uint64_t gpa;

	if (c->cs_l)
		*mode = INSN_MODE_64;
	else if (c->cs_d)
		*mode = INSN_MODE_32;
	else
		return -EOPNOTSUPP;
	/* A page at a time: one walk, one locked read each. */
	for (*got = 0; *got < n;) {
		uint64_t va = c->cs_l ? c->rip + *got : (uint32_t)(c->cs_base + c->rip + *got);
		unsigned chunk = (unsigned)(PAGE_SIZE - (va & ~PAGE_MASK));
		if (chunk > n - *got)
			chunk = n - *got;
		if (!paging)
			gpa = va;
		else if (translate(v->vm, c->cr3, va, &gpa))
			break;
		if (guest_read_gpa(v->vm, gpa, &buf[*got], chunk))
			break;
		*got += chunk;
	}
	return 0;
}
