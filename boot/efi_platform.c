/* What the firmware knows about the platform: CPUs and ACPI tables. */
#include <efi.h>
#include "arch/x86/x86.h"
#include "boot/efi.h"
#include "hv/log.h"
#include "lib/string.h"

/* PI spec EFI_MP_SERVICES_PROTOCOL; gnu-efi does not ship it. */
#define MP_SERVICES_GUID \
	{ 0x3fdda605, 0xa76e, 0x4f46, { 0xad, 0x29, 0x12, 0xf4, 0x53, 0x1b, 0x3d, 0x08 } }
#define PROCESSOR_AS_BSP 0x1
#define PROCESSOR_ENABLED 0x2

struct mp_processor_info {
	UINT64 processor_id;          /* the local APIC id */
	UINT32 status_flag;
	UINT32 package, core, thread;
	UINT32 extended[6];           /* PI 1.7 extended topology, unused */
};

struct mp_services {
	EFI_STATUS (EFIAPI *get_number_of_processors)(struct mp_services *self,
						      UINTN *total, UINTN *enabled);
	EFI_STATUS (EFIAPI *get_processor_info)(struct mp_services *self, UINTN n,
						struct mp_processor_info *info);
};

void efi_find_cpus(EFI_SYSTEM_TABLE *st, struct boot_info *bi)
{
	EFI_GUID guid = MP_SERVICES_GUID;
	struct mp_services *mp;
	UINTN total = 0, enabled = 0;

	bi->nr_cpus = 0;
	EFI_STATUS s = st->BootServices->LocateProtocol(&guid, NULL, (void **)&mp);
	if (!EFI_ERROR(s))
		s = mp->get_number_of_processors(mp, &total, &enabled);
	if (EFI_ERROR(s)) {
		/* Only the boot CPU is known; its APIC id is in CPUID leaf 1. */
		log_warn("boot: no EFI MP services (%s): using the boot CPU only\n",
			 efi_status_name(s));
		bi->cpus[0] = (struct boot_cpu){ cpuid(1, 0).ebx >> 24, 1, 1 };
		bi->nr_cpus = 1;
		return;
	}
	if (total > HV_MAX_CPUS)
		log_warn("boot: %lu CPUs reported, using the first %d\n", total, HV_MAX_CPUS);
	for (UINTN i = 0; i < total && bi->nr_cpus < HV_MAX_CPUS; i++) {
		struct mp_processor_info info;
		memset(&info, 0, sizeof(info));
		if (EFI_ERROR(mp->get_processor_info(mp, i, &info)))
			continue;
		bi->cpus[bi->nr_cpus++] = (struct boot_cpu){
			(uint32_t)info.processor_id,
			!!(info.status_flag & PROCESSOR_ENABLED),
			!!(info.status_flag & PROCESSOR_AS_BSP),
		};
	}
}

uint64_t efi_find_rsdp(EFI_SYSTEM_TABLE *st)
{
	EFI_GUID acpi20 = ACPI_20_TABLE_GUID, acpi10 = ACPI_TABLE_GUID;
	uint64_t found = 0;

	for (UINTN i = 0; i < st->NumberOfTableEntries; i++) {
		EFI_CONFIGURATION_TABLE *t = &st->ConfigurationTable[i];
		if (!memcmp(&t->VendorGuid, &acpi20, sizeof(EFI_GUID)))
			return (uint64_t)t->VendorTable;
		if (!memcmp(&t->VendorGuid, &acpi10, sizeof(EFI_GUID)))
			found = (uint64_t)t->VendorTable;
	}
	return found;
}

uint64_t efi_reserve_low_page(EFI_SYSTEM_TABLE *st)
{
	EFI_PHYSICAL_ADDRESS pa = 0x9f000;
	EFI_STATUS s = st->BootServices->AllocatePages(AllocateMaxAddress, EfiLoaderData, 1, &pa);

	if (EFI_ERROR(s)) {
		log_warn("boot: no page below 1 MiB for AP start-up (%s): one CPU only\n",
			 efi_status_name(s));
		return 0;
	}
	return pa;
}
