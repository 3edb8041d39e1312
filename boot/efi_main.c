/*
 * The UEFI entry: gather everything from the firmware, leave boot services,
 * and hand one struct boot_info to hv_main on the hypervisor's own stack.
 */
#include <efi.h>
#include <sealvisor/errno.h>
#include "arch/x86/serial.h"
#include "boot/config.h"
#include "boot/efi.h"
#include "hv/hv.h"
#include "version.h"
#include "hv/log.h"
#include "hv/shutdown.h"
#include "lib/string.h"

#define EXIT_BOOT_TRIES 8

static struct boot_info boot_info;
static EFI_RUNTIME_SERVICES *runtime;
extern uint8_t boot_stack[];
void arch_switch_stack(void *top, void (*fn)(void *), void *arg)
	__attribute__((noreturn));

const char *efi_status_name(EFI_STATUS s)
{
	switch (s) {
	case EFI_SUCCESS: return "success";
	case EFI_NOT_FOUND: return "not found";
	case EFI_OUT_OF_RESOURCES: return "out of resources";
	case EFI_INVALID_PARAMETER: return "invalid parameter";
	case EFI_BUFFER_TOO_SMALL: return "buffer too small";
	case EFI_UNSUPPORTED: return "unsupported";
	case EFI_DEVICE_ERROR: return "device error";
	case EFI_ACCESS_DENIED: return "access denied";
	case EFI_VOLUME_CORRUPTED: return "volume corrupted";
	default: return "error";
	}
}

static void efi_poweroff(int status)
{
	runtime->ResetSystem(EfiResetShutdown, status ? EFI_ABORTED : EFI_SUCCESS, 0, NULL);
}

static uint32_t convert_type(UINT32 t)
{
	switch (t) {
	case EfiConventionalMemory: return MEM_USABLE;
	case EfiBootServicesCode:
	case EfiBootServicesData: return MEM_BOOT_RECLAIM;
	case EfiLoaderCode:
	case EfiLoaderData: return MEM_LOADER;
	case EfiACPIReclaimMemory:
	case EfiACPIMemoryNVS: return MEM_ACPI;
	case EfiRuntimeServicesCode: return MEM_RUNTIME_CODE;
	case EfiRuntimeServicesData: return MEM_RUNTIME_DATA;
	case EfiMemoryMappedIO:
	case EfiMemoryMappedIOPortSpace: return MEM_MMIO;
	default: return MEM_RESERVED;
	}
}

/* Copies the final map, merging neighbours of one type. Runs after
 * ExitBootServices, so it can only report overflow, not allocate. */
static int convert_map(const uint8_t *map, UINTN size, UINTN desc_size)
{
	struct boot_info *bi = &boot_info;

	bi->nr_regions = 0;
	for (UINTN off = 0; off + desc_size <= size; off += desc_size) {
		const EFI_MEMORY_DESCRIPTOR *d = (const void *)(map + off);
		uint32_t type = convert_type(d->Type);
		struct mem_region *last = bi->nr_regions ? &bi->regions[bi->nr_regions - 1] : NULL;

		if (last && last->type == type &&
		    last->base + last->pages * EFI_PAGE_SIZE == d->PhysicalStart) {
			last->pages += d->NumberOfPages;
			continue;
		}
		if (bi->nr_regions == BOOT_MAX_REGIONS)
			return -1;
		bi->regions[bi->nr_regions++] = (struct mem_region){
			d->PhysicalStart, d->NumberOfPages, type };
	}
	return 0;
}

/* Per the UEFI spec, a stale map key makes ExitBootServices fail: fetch a
 * fresh map and try again. Nothing here may print or allocate in between. */
static EFI_STATUS exit_boot_services(EFI_HANDLE image, EFI_BOOT_SERVICES *bs,
				     uint8_t **map_out, UINTN *size_out, UINTN *dsize_out)
{
	UINTN size = 0, key, dsize, capacity;
	UINT32 dver;
	uint8_t *map = NULL;
	EFI_STATUS s = bs->GetMemoryMap(&size, NULL, &key, &dsize, &dver);

	if (s != EFI_BUFFER_TOO_SMALL)
		return s;
	capacity = size + 16 * dsize;   /* the pool allocation adds entries */
	s = bs->AllocatePool(EfiLoaderData, capacity, (void **)&map);
	if (EFI_ERROR(s))
		return s;
	for (int tries = 0; tries < EXIT_BOOT_TRIES; tries++) {
		size = capacity;
		s = bs->GetMemoryMap(&size, (EFI_MEMORY_DESCRIPTOR *)map, &key, &dsize, &dver);
		if (EFI_ERROR(s))
			return s;
		s = bs->ExitBootServices(image, key);
		if (s == EFI_SUCCESS) {
			*map_out = map;
			*size_out = size;
			*dsize_out = dsize;
			return s;
		}
		if (s != EFI_INVALID_PARAMETER)
			return s;
	}
	return s;
}

/* TSC ticks in a 10 ms firmware Stall: the hypervisor's only time base
 * (hv/clock.h). */
static uint64_t measure_tsc(EFI_BOOT_SERVICES *bs)
{
	uint64_t t0 = __builtin_ia32_rdtsc();

	if (EFI_ERROR(bs->Stall(10000)))
		return 0;
	return (__builtin_ia32_rdtsc() - t0) / 10;
}

static void hv_entry(void *arg)
{
	hv_main(arg);
}

/* crt0 calls efi_main with the System V ABI, after relocating the image. */
EFI_STATUS efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *st)
{
	struct boot_info *bi = &boot_info;
	uint8_t *map = NULL;
	UINTN map_size = 0, desc_size = 0;

	serial_init();
	console_printf("\nsealvisor %s: UEFI loader\n", SEALVISOR_VERSION);
	runtime = st->RuntimeServices;
	config_defaults(&bi->config);
	int r = efi_load_files(image, st, bi);
	if (r)
		arch_shutdown(r == -ENOMEM ? SV_EXIT_BOOT : SV_EXIT_CONFIG);
	log_set_level(bi->config.log_level);
	bi->acpi_rsdp = efi_find_rsdp(st);
	efi_find_cpus(st, bi);
	bi->ap_trampoline = efi_reserve_low_page(st);
	bi->tsc_per_ms = measure_tsc(st->BootServices);

	log_info("boot: leaving UEFI boot services\n");
	EFI_STATUS s = exit_boot_services(image, st->BootServices, &map, &map_size, &desc_size);
	if (EFI_ERROR(s)) {
		log_err("boot: ExitBootServices failed: %s (0x%lx)\n", efi_status_name(s), s);
		arch_shutdown(SV_EXIT_BOOT);
	}
	/* From here on the machine is ours: no boot services, no firmware prints. */
	if (convert_map(map, map_size, desc_size)) {
		log_err("boot: firmware memory map has more than %d regions\n", BOOT_MAX_REGIONS);
		arch_shutdown(SV_EXIT_BOOT);
	}
	bi->firmware_poweroff = efi_poweroff;
	arch_switch_stack(boot_stack + BOOT_STACK_SIZE, hv_entry, bi);
}
