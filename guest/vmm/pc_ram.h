/*
 * Where a `qemu -kernel` guest's RAM sits (README, "Run your own
 * kernel"): [3 GiB, 4 GiB) is the PC's device hole (I/O APIC 0xfec00000,
 * local APIC 0xfee00000), so RAM beyond PC_RAM_LOW_MAX continues at
 * 4 GiB, as QEMU's pc machine places it. Both boot protocols report the
 * same map (Multiboot's memory map and Linux's e820 share their type
 * numbers). Pure: shared by mb_launch.c, linux_launch.c, qemu_guest.c and
 * the host tests (tests/unit/test_multiboot.c).
 */
#ifndef SEALVISOR_VMM_PC_RAM_H
#define SEALVISOR_VMM_PC_RAM_H

#include <stdint.h>

#define PC_RAM_LOW_MAX (3ull << 30)      /* the device hole starts here */
#define PC_RAM_HIGH_BASE (1ull << 32)
#define PC_RAM_LOW_END 0x9fc00ull        /* 639 KiB; then the EBDA */
#define PC_RAM_FIRMWARE 0xe0000ull       /* [0xe0000, 1 MiB): the ACPI tables */
#define PC_RAM_TYPE_RAM 1u
#define PC_RAM_TYPE_RESERVED 2u
#define PC_RAM_MAP_MAX 5u

struct pc_ram_range {
	uint64_t base, length;
	uint32_t type;
};

/* The bytes of ram below the hole (from gpa 0) and from PC_RAM_HIGH_BASE. */
uint64_t pc_ram_low(uint64_t ram);
uint64_t pc_ram_high(uint64_t ram);

/* The map, lowest address first: RAM below 639 KiB, the EBDA and the
 * firmware area reserved, RAM from 1 MiB to the low part's end, and RAM
 * from 4 GiB when there is a high part. Returns the entries (4 or 5);
 * ram must be more than 1 MiB. */
unsigned pc_ram_map(uint64_t ram, struct pc_ram_range map[PC_RAM_MAP_MAX]);

#endif
