/*
 * Launching a Multiboot kernel as a private-memory guest: the image's
 * segments, its modules and the boot information go into the VM's
 * GUEST-sealed RAM through VM_POPULATE (so all of it is measured), and
 * vCPU 0 gets the Multiboot entry state (3.2): 32-bit protected mode,
 * paging off, flat segments, EAX = 0x2badb002, EBX = the information;
 * the others wait for its INIT and SIPI (MP state WAIT_SIPI).
 *
 * The guest-physical machine (README, "Run your own kernel"):
 *   [0, 0x9fc00)             RAM (mem_lower 639 KiB)
 *   [0x9fc00, 0xa0000)       reserved (where a PC's EBDA is)
 *   [0xe0000, 0x100000)      reserved: firmware area, the ACPI tables (RSDP
 *                            at 0xe0000, where a legacy search finds it)
 *   [0x100000, low)          RAM: the kernel, then its modules, page aligned
 *   MB_INFO_GPA              the boot information, inside low RAM
 *   [4 GiB, 4 GiB + high)    the rest of the RAM, when there is more than
 *                            3 GiB (guest/vmm/pc_ram.h): the space below
 *                            4 GiB above 3 GiB is for devices (I/O APIC
 *                            0xfec00000, local APIC 0xfee00000)
 * Everything the VMM places goes in low RAM.
 */
#ifndef SEALVISOR_VMM_MB_LAUNCH_H
#define SEALVISOR_VMM_MB_LAUNCH_H

#include <stdint.h>
#include <sealvisor/hypercall.h>
#include "guest/vmm/pc_ram.h"
#include "guest/vmm/vm_config.h"

#define MB_INFO_GPA 0x8000ul
#define MB_INFO_SIZE 0x10000ul
#define MB_LOW_RAM_END PC_RAM_LOW_END
#define MB_FIRMWARE_GPA PC_RAM_FIRMWARE
#define MB_FIRMWARE_SIZE 0x20000ul

struct mb_launch {
	int64_t vm;                      /* created, its RAM bound (pc_ram.h) */
	uint64_t ram;                    /* all of it, low and high */
	const struct vm_config *cfg;
	const struct sv_module *kernel;
	const struct sv_module *initrd[VMCFG_MAX_INITRDS];
	void *scratch;                   /* VMM memory for the information */
	uint64_t entry;                  /* out */
	char why[160];                   /* out: what was refused, and why */
};

/* Checks the kernel, populates it, its modules and the boot information,
 * creates vCPU 0 with the entry state. 0, or a negative errno with
 * l->why set. */
int64_t mb_launch_load(struct mb_launch *l);

/* Shared with linux_launch.c, which starts a bzImage on the same machine.
 * refuse: sets l->why and returns err. populate: VM_POPULATE, refused
 * with what was being placed. put_acpi_tables: the RSDP at
 * MB_FIRMWARE_GPA and the tables after it. create_aps: vCPUs 1.. waiting
 * for INIT/SIPI. */
int64_t mb_launch_refuse(struct mb_launch *l, int64_t err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int64_t mb_launch_populate(struct mb_launch *l, uint64_t gpa, uint64_t src, uint64_t len,
			   const char *what);
int64_t mb_launch_put_acpi_tables(struct mb_launch *l);
int64_t mb_launch_create_aps(struct mb_launch *l);

/* Whether a module holds a Multiboot image (a header in its first 8 KiB). */
bool mb_launch_is_multiboot(const struct sv_module *m);

#endif
