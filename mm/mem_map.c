#include <sealvisor/errno.h>
#include "mm/mem_map.h"
#include "mm/pmm.h"

static int is_ram(uint32_t type)
{
	return type == MEM_USABLE || type == MEM_BOOT_RECLAIM || type == MEM_LOADER;
}

/* Page 0 is never handed out: 0 is the allocator's "no page" value. */
static int add_free(uint64_t base, uint64_t pages, struct mem_summary *sum)
{
	if (base == 0) {
		base += PAGE_SIZE;
		pages--;
	}
	if (!pages)
		return 0;
	int r = pmm_add_range(base, pages << PAGE_SHIFT);
	if (r == 0)
		sum->usable_pages += pages;
	return r;
}

int mem_map_init(const struct mem_region *r, size_t n, struct mem_summary *sum)
{
	uint64_t lo = ~0UL, hi = 0;
	size_t meta_region = n;

	sum->total_pages = sum->usable_pages = 0;
	for (size_t i = 0; i < n; i++) {
		if (r[i].base & ~PAGE_MASK || r[i].pages > (~0UL >> PAGE_SHIFT) ||
		    r[i].base + (r[i].pages << PAGE_SHIFT) < r[i].base)
			return -EINVAL;
		if (!is_ram(r[i].type) || !r[i].pages)
			continue;
		uint64_t end = r[i].base + (r[i].pages << PAGE_SHIFT);
		lo = r[i].base < lo ? r[i].base : lo;
		hi = end > hi ? end : hi;
		sum->total_pages += r[i].pages;
	}
	if (hi == 0)
		return -ENOMEM;
	size_t bytes = pmm_meta_bytes(lo, hi);
	uint64_t meta_pages = (bytes + PAGE_SIZE - 1) >> PAGE_SHIFT;
	for (size_t i = 0; i < n; i++) {
		if (r[i].type == MEM_USABLE && r[i].base && r[i].pages >= meta_pages &&
		    (meta_region == n || r[i].pages > r[meta_region].pages))
			meta_region = i;
	}
	if (meta_region == n)
		return -ENOMEM;
	sum->meta_base = r[meta_region].base;
	sum->meta_pages = meta_pages;
	int err = pmm_init(lo, hi, phys_to_virt(sum->meta_base));
	if (!err)
		err = pmm_mark_fixed(sum->meta_base, meta_pages << PAGE_SHIFT, OWNER_HV);
	for (size_t i = 0; i < n && !err; i++) {
		if (r[i].type == MEM_LOADER && r[i].pages)
			err = pmm_mark_fixed(r[i].base, r[i].pages << PAGE_SHIFT, OWNER_HV);
		else if (r[i].type == MEM_USABLE && i == meta_region && r[i].pages > meta_pages)
			err = add_free(r[i].base + (meta_pages << PAGE_SHIFT),
				       r[i].pages - meta_pages, sum);
		else if (r[i].type == MEM_USABLE && i != meta_region && r[i].pages)
			err = add_free(r[i].base, r[i].pages, sum);
	}
	return err;
}

int mem_map_reclaim_boot(const struct mem_region *r, size_t n, struct mem_summary *sum)
{
	for (size_t i = 0; i < n; i++) {
		if (r[i].type != MEM_BOOT_RECLAIM || !r[i].pages)
			continue;
		int err = add_free(r[i].base, r[i].pages, sum);
		if (err)
			return err;
	}
	return 0;
}

const char *mem_type_name(uint32_t type)
{
	static const char *const names[] = {
		[MEM_RESERVED] = "reserved", [MEM_USABLE] = "usable",
		[MEM_BOOT_RECLAIM] = "boot-services", [MEM_LOADER] = "loader",
		[MEM_ACPI] = "acpi", [MEM_RUNTIME_CODE] = "runtime-code",
		[MEM_RUNTIME_DATA] = "runtime-data", [MEM_MMIO] = "mmio",
	};
	return type < sizeof(names) / sizeof(names[0]) ? names[type] : "unknown";
}
