/* The guest-physical RAM layout of `qemu -kernel` guests (guest/vmm/pc_ram.h). */
#include "guest/vmm/pc_ram.h"

uint64_t pc_ram_low(uint64_t ram)
{
	return ram < PC_RAM_LOW_MAX ? ram : PC_RAM_LOW_MAX;
}

uint64_t pc_ram_high(uint64_t ram)
{
	return ram - pc_ram_low(ram);
}

unsigned pc_ram_map(uint64_t ram, struct pc_ram_range map[PC_RAM_MAP_MAX])
{
	unsigned n = 0;

	map[n++] = (struct pc_ram_range){ 0, PC_RAM_LOW_END, PC_RAM_TYPE_RAM };
	map[n++] = (struct pc_ram_range){ PC_RAM_LOW_END, 0xa0000 - PC_RAM_LOW_END, PC_RAM_TYPE_RESERVED };
	map[n++] = (struct pc_ram_range){ PC_RAM_FIRMWARE, 0x100000 - PC_RAM_FIRMWARE, PC_RAM_TYPE_RESERVED };
	map[n++] = (struct pc_ram_range){ 0x100000, pc_ram_low(ram) - 0x100000, PC_RAM_TYPE_RAM };
	if (pc_ram_high(ram))
		map[n++] = (struct pc_ram_range){ PC_RAM_HIGH_BASE, pc_ram_high(ram), PC_RAM_TYPE_RAM };
	return n;
}
