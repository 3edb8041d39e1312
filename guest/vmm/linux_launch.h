/*
 * Launching a Linux bzImage (the x86 64-bit boot protocol, linux_boot.h)
 * as a private-memory guest on the same PC machine as a Multiboot kernel
 * (mb_launch.h): the protected-mode kernel, the initrd, the low block
 * (boot_params, command line, page tables, GDT) and the ACPI tables all go
 * in through VM_POPULATE, so all of it is measured; vCPU 0 starts in long
 * mode at the 64-bit entry with RSI = boot_params, the others wait for
 * INIT/SIPI.
 */
#ifndef SEALVISOR_VMM_LINUX_LAUNCH_H
#define SEALVISOR_VMM_LINUX_LAUNCH_H

#include <stdbool.h>
#include "guest/vmm/mb_launch.h"

/* Loads l->kernel (a bzImage) with at most one initrd. 0, or a negative
 * errno with l->why naming the field and value refused. */
int64_t lx_launch_load(struct mb_launch *l);

bool lx_launch_is_bzimage(const struct sv_module *m);

#endif
