#include <stdbool.h>
#include <sealvisor/errno.h>
#include "arch/x86/paging.h"
#include "arch/x86/x86.h"
#include "lib/string.h"
#include "mm/pmm.h"

#define PTE_P   (1UL << 0)
#define PTE_RW  (1UL << 1)
#define PTE_PS  (1UL << 7)
#define PTE_NX  (1UL << 63)
#define SIZE_2M (1UL << 21)
#define SIZE_1G (1UL << 30)

extern char ImageBase[], _text[], _etext[], _rodata[], _erodata[], _image_end[];
static uint64_t exec_page;   /* the AP trampoline runs from it */

static uint64_t *new_table(void)
{
	uint64_t pa = pmm_alloc(0, OWNER_HV, 0);   /* zero, like all free memory */

	return pa ? phys_to_virt(pa) : NULL;
}

static bool overlaps(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	return a < b + blen && b < a + alen;
}

/* Firmware runtime code stays executable so ResetSystem can be called. */
static bool runtime_code(const struct mem_region *r, size_t n, uint64_t a, uint64_t len)
{
	for (size_t i = 0; i < n; i++)
		if (r[i].type == MEM_RUNTIME_CODE &&
		    overlaps(a, len, r[i].base, r[i].pages << PAGE_SHIFT))
			return true;
	return false;
}

static uint64_t image_page_flags(uint64_t pa)
{
	if (pa >= (uint64_t)_text && pa < (uint64_t)_etext)
		return PTE_P;                       /* code: read-only, executable */
	if (pa >= (uint64_t)_rodata && pa < (uint64_t)_erodata)
		return PTE_P | PTE_NX;
	if (pa < (uint64_t)_text)
		return PTE_P | PTE_NX;              /* headers */
	return PTE_P | PTE_RW | PTE_NX;
}

static int map_small(uint64_t *pd_entry, uint64_t base, const struct mem_region *r, size_t n)
{
	uint64_t *pt = new_table();
	uint64_t img = (uint64_t)ImageBase, img_end = (uint64_t)_image_end;

	if (!pt)
		return -ENOMEM;
	for (int i = 0; i < 512; i++) {
		uint64_t pa = base + i * PAGE_SIZE;
		if (pa == 0)
			continue;                   /* NULL guard */
		if (pa >= img && pa < img_end)
			pt[i] = pa | image_page_flags(pa);
		else if (pa == exec_page)   /* written by the boot CPU, run by APs */
			pt[i] = pa | PTE_P | PTE_RW;
		else
			pt[i] = pa | PTE_P | PTE_RW |
				(runtime_code(r, n, pa, PAGE_SIZE) ? 0 : PTE_NX);
	}
	*pd_entry = virt_to_phys(pt) | PTE_P | PTE_RW;
	return 0;
}

static uint64_t map_top(const struct mem_region *r, size_t n)
{
	uint64_t top = 4 * SIZE_1G;   /* always cover the 32-bit MMIO hole */

	for (size_t i = 0; i < n; i++) {
		uint64_t end = r[i].base + (r[i].pages << PAGE_SHIFT);
		if (r[i].type != MEM_MMIO && r[i].type != MEM_RESERVED && end > top)
			top = end;
	}
	return (top + SIZE_1G - 1) & ~(SIZE_1G - 1);
}

static int map_gib(uint64_t *pdpt_entry, uint64_t base, const struct mem_region *r, size_t n)
{
	uint64_t *pd = new_table();
	uint64_t img = (uint64_t)ImageBase, img_len = (uint64_t)_image_end - img;

	if (!pd)
		return -ENOMEM;
	for (int i = 0; i < 512; i++) {
		uint64_t pa = base + i * SIZE_2M;
		if (pa == 0 || overlaps(pa, SIZE_2M, img, img_len) ||
		    (exec_page && overlaps(pa, SIZE_2M, exec_page, PAGE_SIZE))) {
			int err = map_small(&pd[i], pa, r, n);
			if (err)
				return err;
			continue;
		}
		pd[i] = pa | PTE_P | PTE_RW | PTE_PS |
			(runtime_code(r, n, pa, SIZE_2M) ? 0 : PTE_NX);
	}
	*pdpt_entry = virt_to_phys(pd) | PTE_P | PTE_RW;
	return 0;
}

int paging_init(const struct mem_region *r, size_t n, uint64_t exec)
{
	exec_page = exec;
	uint64_t top = map_top(r, n);
	uint64_t *pml4 = new_table();

	if (!pml4)
		return -ENOMEM;
	for (uint64_t gib = 0; gib < top; gib += SIZE_1G) {
		unsigned i4 = (gib >> 39) & 511, i3 = (gib >> 30) & 511;
		if (!pml4[i4]) {
			uint64_t *pdpt = new_table();
			if (!pdpt)
				return -ENOMEM;
			pml4[i4] = virt_to_phys(pdpt) | PTE_P | PTE_RW;
		}
		uint64_t *pdpt = phys_to_virt(pml4[i4] & PAGE_MASK & ~PTE_NX);
		int err = map_gib(&pdpt[i3], gib, r, n);
		if (err)
			return err;
	}
	wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_NXE);   /* before any NX entry is live */
	write_cr0(read_cr0() | CR0_WP);
	write_cr3(virt_to_phys(pml4));
	return 0;
}
