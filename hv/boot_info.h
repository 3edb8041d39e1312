/*
 * The one structure boot/ hands to hv_main. Everything the hypervisor needs
 * from the firmware is copied in here before ExitBootServices; nothing in it
 * points into boot-services memory, which the page allocator reclaims.
 */
#ifndef HV_BOOT_INFO_H
#define HV_BOOT_INFO_H

#include <stdint.h>
#include <stddef.h>
#include "hv/config.h"
#include "hv/limits.h"
#include "mm/mem_region.h"

struct boot_module {
	char name[CONFIG_PATH_MAX];
	uint64_t base;     /* physical, page aligned, MEM_LOADER */
	uint64_t size;
	bool is_data;      /* a "module =" file: not launched by itself */
};

struct boot_cpu {
	uint32_t apic_id;
	uint8_t enabled;
	uint8_t bsp;
};

#define BOOT_MAX_REGIONS 512
#define BOOT_MAX_MODULES (CONFIG_MAX_GUESTS + 1)

struct boot_info {
	struct config config;
	struct mem_region regions[BOOT_MAX_REGIONS];
	size_t nr_regions;
	struct boot_module modules[BOOT_MAX_MODULES];
	size_t nr_modules;
	struct boot_cpu cpus[HV_MAX_CPUS];
	size_t nr_cpus;
	uint64_t acpi_rsdp;          /* 0 if the firmware has no ACPI tables */
	uint64_t ap_trampoline;      /* a page below 1 MiB for AP start-up, or 0 */
	uint64_t image_base, image_size;
	uint64_t tsc_per_ms;         /* measured against the firmware; 0 if unknown */
	/* Firmware power-off, callable after ExitBootServices; may be NULL. */
	void (*firmware_poweroff)(int status);
};


#endif
