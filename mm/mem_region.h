/*
 * The physical memory map as the page allocator takes it: typed regions,
 * copied from the firmware's map by boot/ (hv/boot_info.h).
 */
#ifndef MM_MEM_REGION_H
#define MM_MEM_REGION_H

#include <stdint.h>

enum mem_type {
	MEM_RESERVED = 0,
	MEM_USABLE,        /* free RAM */
	MEM_BOOT_RECLAIM,  /* firmware boot-services memory: free once we own the CPU */
	MEM_LOADER,        /* the hypervisor image and what boot/ loaded: kept */
	MEM_ACPI,
	MEM_RUNTIME_CODE,
	MEM_RUNTIME_DATA,
	MEM_MMIO,
};

struct mem_region {
	uint64_t base;
	uint64_t pages;
	uint32_t type;     /* enum mem_type */
};

const char *mem_type_name(uint32_t type);

#endif
