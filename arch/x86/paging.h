#ifndef ARCH_X86_PAGING_H
#define ARCH_X86_PAGING_H

#include <stddef.h>
#include "hv/boot_info.h"

/*
 * Builds and loads the hypervisor's own 4-level tables: RAM and firmware
 * ranges identity-mapped with 2 MiB pages, read-write and no-execute; the
 * hypervisor image in 4 KiB pages (code read-only+executable, rodata
 * read-only, data no-execute); page 0 unmapped to catch NULL; exec_page
 * (the AP start-up page, if not 0) executable.
 * Returns 0 or -ENOMEM.
 */
int paging_init(const struct mem_region *r, size_t n, uint64_t exec_page);

#endif
