/*
 * Multiboot (version 1) images and boot information, as the VMM needs them
 * to start a kernel written for `qemu -kernel`: parse and check an image
 * into a load plan, and lay out the information structure the kernel
 * finds in EBX. Pure functions over byte buffers, shared by the VMM and
 * the host tests (tests/unit/test_multiboot.c). The specification is
 * "The Multiboot Specification version 0.6.96"; section numbers below are
 * its.
 */
#ifndef SEALVISOR_VMM_MULTIBOOT_H
#define SEALVISOR_VMM_MULTIBOOT_H

#include <stddef.h>
#include <stdint.h>

#define MB_HEADER_MAGIC 0x1badb002u       /* in the image (3.1.2) */
#define MB_BOOT_MAGIC 0x2badb002u         /* in EAX at entry (3.2) */
#define MB_SEARCH_LIMIT 8192u             /* the header lies in the first 8 KiB */

/* Header flags (3.1.2). Bits 0-15 are requirements: one we do not know,
 * or cannot meet, refuses the image. */
#define MB_FLAG_PAGE_ALIGN_MODULES (1u << 0)
#define MB_FLAG_MEMORY_INFO (1u << 1)
#define MB_FLAG_VIDEO_MODE (1u << 2)
#define MB_FLAG_AOUT_KLUDGE (1u << 16)
#define MB_FLAGS_SUPPORTED (MB_FLAG_PAGE_ALIGN_MODULES | MB_FLAG_MEMORY_INFO)

enum mb_format { MB_FORMAT_ELF32, MB_FORMAT_ELF64, MB_FORMAT_AOUT };

/* One piece of the image to place: filesz bytes from the image at offset
 * go to paddr, then zeros up to memsz (the bss). */
struct mb_segment {
	uint64_t paddr, offset, filesz, memsz;
};

#define MB_MAX_SEGMENTS 16

struct mb_image {
	enum mb_format format;
	uint32_t header_offset, flags;
	uint32_t entry;                  /* physical: paging is off at entry */
	unsigned nseg;
	struct mb_segment seg[MB_MAX_SEGMENTS];
};

/* Guest-physical memory the image may not cover: RAM ends, holes, and
 * what the VMM places itself (boot information, modules, ACPI tables). */
struct mb_range {
	uint64_t start, end;             /* [start, end) */
	const char *what;
};

/* Why an image was refused: which field, its value, and the rule. The
 * strings are static; field may carry an index ("phdr[2].p_paddr"). */
struct mb_error {
	char field[32];
	uint64_t value;
	const char *why;
};

/* Parses img (size bytes) into *out. ram_end: the first guest-physical
 * byte past RAM; reserved: ranges no segment may touch. 0, or -ENOEXEC
 * (no Multiboot header), -EINVAL (a rule broken), -E2BIG (more segments
 * than MB_MAX_SEGMENTS), with *err saying which. */
int mb_parse(const void *img, uint64_t size, uint64_t ram_end, const struct mb_range *reserved,
	     unsigned nreserved, struct mb_image *out, struct mb_error *err);

/* The boot information (3.3), built at guest-physical address info_gpa
 * into buf (which the VMM then copies there). */
struct mb_module {
	uint32_t start, end;             /* [start, end), where the VMM put it */
	const char *cmdline;             /* the module's string: its name and arguments */
};

/* A memory-map entry (3.3, "mmap_*"): types 1 RAM, 2 reserved, 3 ACPI. */
struct mb_mmap {
	uint64_t base, length;
	uint32_t type;
};
#define MB_MMAP_RAM 1u
#define MB_MMAP_RESERVED 2u
#define MB_MMAP_ACPI 3u

struct mb_boot {
	const struct mb_mmap *mmap;
	unsigned nmmap;
	const char *cmdline;
	const struct mb_module *mods;
	unsigned nmods;
	const char *loader_name;
};

/* The fixed part of the information structure, as the kernel reads it. */
struct mb_info {
	uint32_t flags, mem_lower, mem_upper, boot_device, cmdline, mods_count, mods_addr;
	uint32_t syms[4];
	uint32_t mmap_length, mmap_addr, drives_length, drives_addr, config_table;
	uint32_t boot_loader_name, apm_table;
	uint32_t vbe_control_info, vbe_mode_info;
	uint16_t vbe_mode, vbe_interface_seg, vbe_interface_off, vbe_interface_len;
	uint64_t framebuffer_addr;
	uint32_t framebuffer_pitch, framebuffer_width, framebuffer_height;
	uint8_t framebuffer_bpp, framebuffer_type, color_info[6];
} __attribute__((packed));

#define MB_INFO_MEMORY (1u << 0)
#define MB_INFO_CMDLINE (1u << 2)
#define MB_INFO_MODS (1u << 3)
#define MB_INFO_MMAP (1u << 6)
#define MB_INFO_LOADER_NAME (1u << 9)

/* Lays the information structure, module list, memory map and strings
 * out in buf (len bytes) for address info_gpa. Returns the bytes used, or
 * -ENOSPC if they do not fit, -EINVAL if the map has no RAM at 0 or 1 MiB
 * or the area would pass 4 GiB (a 32-bit kernel could not reach it). */
int64_t mb_build_info(void *buf, uint64_t len, uint64_t info_gpa, const struct mb_boot *b);

#endif
