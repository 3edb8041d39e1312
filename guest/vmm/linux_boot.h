/*
 * The Linux x86 boot protocol (Documentation/arch/x86/boot.rst, "64-bit
 * boot protocol"), as the VMM needs it to start a stock bzImage: check the
 * setup header, plan where the protected-mode kernel and the initrd go,
 * and build the low pages the 64-bit entry needs (boot_params, the command
 * line, identity-mapping page tables, a GDT). Pure functions over byte
 * buffers, shared by the VMM (linux_launch.c) and the host tests
 * (tests/unit/test_linux_boot.c).
 *
 * The guest-physical layout (below 1 MiB, as mb_launch.h's machine):
 *   LX_GDT_GPA        GDT: 0x10 __BOOT_CS (64-bit code), 0x18 __BOOT_DS
 *   LX_PT_GPA         PML4, PDPT, 4 PDs: 2 MiB pages, 0-4 GiB identity
 *   LX_ZERO_PAGE_GPA  boot_params (RSI at entry)
 *   LX_CMDLINE_GPA    the command line, NUL-terminated
 *   [0x9fc00, 1 MiB)  reserved (EBDA, firmware area with the ACPI tables)
 * The kernel goes at its pref_address, the initrd page aligned at the top
 * of RAM (below initrd_addr_max), as QEMU places them.
 */
#ifndef SEALVISOR_VMM_LINUX_BOOT_H
#define SEALVISOR_VMM_LINUX_BOOT_H

#include <stdint.h>

#define LX_GDT_GPA 0x1000ul
#define LX_PT_GPA 0x2000ul              /* PML4; PDPT +0x1000; PDs +0x2000..+0x5fff */
#define LX_ZERO_PAGE_GPA 0x8000ul
#define LX_CMDLINE_GPA 0x9000ul
#define LX_LOW_END 0xa000ul             /* the low block is [LX_GDT_GPA, LX_LOW_END) */
#define LX_LOW_SIZE (LX_LOW_END - LX_GDT_GPA)
#define LX_CMDLINE_MAX (LX_LOW_END - LX_CMDLINE_GPA)
#define LX_BOOT_CS 0x10u
#define LX_BOOT_DS 0x18u

#define LX_MIN_VERSION 0x020cu          /* 2.12: xloadflags, the 64-bit entry */
#define LX_XLF_KERNEL_64 (1u << 0)
#define LX_XLF_CAN_BE_LOADED_ABOVE_4G (1u << 1)
#define LX_LOADED_HIGH (1u << 0)
#define LX_CAN_USE_HEAP (1u << 7)
#define LX_ENTRY64_OFFSET 0x200u

/* e820 types */
#define LX_E820_RAM 1u
#define LX_E820_RESERVED 2u
#define LX_E820_MAX 128u                /* boot_params.e820_table's size */

struct lx_e820 {
	uint64_t addr, size;
	uint32_t type;
};

/* What the VMM loads and where. */
struct lx_image {
	uint16_t version;
	uint64_t setup_size;                /* (setup_sects + 1) * 512: boot sector and setup */
	uint64_t kernel_offset, kernel_size;/* the protected-mode kernel in the file */
	uint64_t load_gpa;                  /* where it goes */
	uint64_t init_size;                 /* how much RAM from load_gpa it needs to run */
	uint64_t entry;                     /* load_gpa + 0x200 */
	uint64_t initrd_gpa;                /* 0 when there is none */
	uint64_t initrd_max;                /* initrd_addr_max: the last byte it may use */
	uint32_t cmdline_size;              /* the longest command line, without its NUL */
};

struct lx_error {
	const char *field;
	uint64_t value;
	const char *why;
};

/* Checks the bzImage (size bytes) for a guest with ram bytes of RAM from
 * gpa 0 and an initrd of initrd_size bytes (0: none), and plans it into
 * *out. 0, or -ENOEXEC (no "HdrS": not a bzImage), -EINVAL (a rule
 * broken), -ENOSPC (does not fit in RAM), with *err naming the field. */
int lx_parse(const void *img, uint64_t size, uint64_t ram, uint64_t initrd_size,
	     struct lx_image *out, struct lx_error *err);

/* Whether img looks like a bzImage at all (the "HdrS" magic at 0x202). */
int lx_is_bzimage(const void *img, uint64_t size);

/* The low block [LX_GDT_GPA, LX_LOW_END) into buf (LX_LOW_SIZE bytes):
 * GDT, page tables, boot_params (setup header copied from the image,
 * loader fields, e820 from map, initrd, RSDP) and the command line.
 * -EINVAL for a map larger than LX_E820_MAX, -E2BIG for a command line
 * longer than the kernel's cmdline_size or the space for it. */
int lx_build_low(void *buf, const void *img, const struct lx_image *li, const char *cmdline,
		 uint64_t initrd_size, const struct lx_e820 *map, unsigned nmap, uint64_t rsdp_gpa);

#endif
