/*
 * Builds the page allocator from the firmware memory map (mm/mem_region.h).
 * Host-testable: it only reads the region list and calls mm/pmm.
 */
#ifndef MM_MEM_MAP_H
#define MM_MEM_MAP_H

#include <stddef.h>
#include "mm/mem_region.h"

struct mem_summary {
	uint64_t total_pages;     /* every RAM-like region, reserved or not */
	uint64_t usable_pages;    /* handed to the allocator so far */
	uint64_t meta_base, meta_pages;
};

/*
 * Phase 1, while firmware structures may still be in use: metadata carved
 * from free RAM, free RAM to the allocator, loader ranges (the hypervisor
 * image and what boot/ loaded) fixed to the hypervisor. Never touches ACPI,
 * runtime-services, MMIO or boot-services ranges.
 */
int mem_map_init(const struct mem_region *r, size_t n, struct mem_summary *sum);
/* Phase 2, once nothing uses firmware boot-services memory any more. */
int mem_map_reclaim_boot(const struct mem_region *r, size_t n, struct mem_summary *sum);

#endif
