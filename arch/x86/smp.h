#ifndef ARCH_X86_SMP_H
#define ARCH_X86_SMP_H

#include "hv/boot_info.h"

/*
 * Starts every enabled CPU but this one (from the MADT, or the EFI MP
 * Services list without ACPI), one at a time:
 * INIT-SIPI-SIPI through the trampoline page, then each sets itself up
 * (GDT/TSS/IDT, per-CPU area, local APIC, virtualization) and reports
 * online. A CPU that does not come up in time is reported and left out.
 * Returns the number of CPUs online, this one included.
 */
unsigned smp_start_aps(const struct boot_info *bi);

#endif
