/* Shared by the boot/ files only: UEFI types stay inside boot/. */
#ifndef BOOT_EFI_H
#define BOOT_EFI_H

#include <efi.h>
#include "hv/boot_info.h"

const char *efi_status_name(EFI_STATUS s);
/* Reads \sealvisor.cfg and every image it names into boot_info. */
int efi_load_files(EFI_HANDLE image, EFI_SYSTEM_TABLE *st, struct boot_info *bi);
/* CPU list from EFI MP Services, RSDP from the configuration table. */
void efi_find_cpus(EFI_SYSTEM_TABLE *st, struct boot_info *bi);
uint64_t efi_find_rsdp(EFI_SYSTEM_TABLE *st);
/* A page below 1 MiB (a SIPI can only start a CPU there), kept after exit. */
uint64_t efi_reserve_low_page(EFI_SYSTEM_TABLE *st);

#endif
