/* The Linux x86 boot protocol (guest/vmm/linux_boot.h). Every value read
 * from the image is checked before it steers a copy: the image is the
 * guest author's. Offsets are boot.rst's ("The real-mode kernel header")
 * and zero-page.rst's. */
#include <sealvisor/errno.h>
#include "guest/vmm/linux_boot.h"
#include "lib/string.h"

/* setup header fields (offsets in the image and in boot_params alike) */
#define HDR_START 0x1f1u
#define HDR_SETUP_SECTS 0x1f1u
#define HDR_BOOT_FLAG 0x1feu
#define HDR_JUMP 0x200u
#define HDR_MAGIC 0x202u
#define HDR_VERSION 0x206u
#define HDR_TYPE_OF_LOADER 0x210u
#define HDR_LOADFLAGS 0x211u
#define HDR_RAMDISK_IMAGE 0x218u
#define HDR_RAMDISK_SIZE 0x21cu
#define HDR_HEAP_END_PTR 0x224u
#define HDR_CMD_LINE_PTR 0x228u
#define HDR_INITRD_ADDR_MAX 0x22cu
#define HDR_KERNEL_ALIGNMENT 0x230u
#define HDR_RELOCATABLE 0x234u
#define HDR_XLOADFLAGS 0x236u
#define HDR_CMDLINE_SIZE 0x238u
#define HDR_PREF_ADDRESS 0x258u
#define HDR_INIT_SIZE 0x260u
#define HDR_MIN_END 0x264u               /* what a 2.12 header covers */
/* boot_params fields outside the setup header */
#define BP_ACPI_RSDP_ADDR 0x070u
#define BP_EXT_RAMDISK_IMAGE 0x0c0u
#define BP_EXT_RAMDISK_SIZE 0x0c4u
#define BP_EXT_CMD_LINE_PTR 0x0c8u
#define BP_E820_ENTRIES 0x1e8u
#define BP_E820_TABLE 0x2d0u

#define MiB (1ull << 20)
#define PAGE 4096ull

static uint32_t rd(const uint8_t *p, unsigned n)
{
	uint32_t v = 0;

	for (unsigned i = 0; i < n; i++)
		v |= (uint32_t)p[i] << (8 * i);
	return v;
}

static uint64_t rd64(const uint8_t *p)
{
	return rd(p, 4) | (uint64_t)rd(p + 4, 4) << 32;
}

static void wr(uint8_t *p, uint64_t v, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static int refuse(struct lx_error *err, int code, const char *field, uint64_t value,
		  const char *why)
{
	err->field = field;
	err->value = value;
	err->why = why;
	return code;
}

int lx_is_bzimage(const void *image, uint64_t size)
{
	const uint8_t *img = image;

	return size >= HDR_MAGIC + 4 && rd(img + HDR_MAGIC, 4) == 0x53726448u;   /* "HdrS" */
}

/* The header's own length: the jump at 0x200 skips it (boot.rst). */
static uint64_t header_end(const uint8_t *img)
{
	return HDR_JUMP + 2 + img[HDR_JUMP + 1];
}

static int check_header(const uint8_t *img, uint64_t size, struct lx_image *out,
			struct lx_error *err)
{
	if (!lx_is_bzimage(img, size))
		return refuse(err, -ENOEXEC, "header", size, "no \"HdrS\" at 0x202: not a bzImage");
	if (size < HDR_MIN_END)
		return refuse(err, -EINVAL, "size", size, "shorter than a 2.12 setup header");
	if (rd(img + HDR_BOOT_FLAG, 2) != 0xaa55)
		return refuse(err, -EINVAL, "boot_flag", rd(img + HDR_BOOT_FLAG, 2), "not 0xaa55");
	out->version = (uint16_t)rd(img + HDR_VERSION, 2);
	if (out->version < LX_MIN_VERSION)
		return refuse(err, -EINVAL, "version", out->version,
			      "boot protocol older than 2.12 (no 64-bit entry)");
	uint32_t xlf = rd(img + HDR_XLOADFLAGS, 2);
	if (!(xlf & LX_XLF_KERNEL_64))
		return refuse(err, -EINVAL, "xloadflags", xlf, "XLF_KERNEL_64 clear: no 64-bit entry");
	if (!(img[HDR_LOADFLAGS] & LX_LOADED_HIGH))
		return refuse(err, -EINVAL, "loadflags", img[HDR_LOADFLAGS],
			      "LOADED_HIGH clear: a zImage loaded at 0x10000");
	if (header_end(img) > size || header_end(img) > 0x290)
		return refuse(err, -EINVAL, "header length", header_end(img),
			      "past the image or boot_params' setup header");
	unsigned sects = img[HDR_SETUP_SECTS] ? img[HDR_SETUP_SECTS] : 4;
	out->setup_size = (sects + 1ull) * 512;
	if (out->setup_size >= size)
		return refuse(err, -EINVAL, "setup_sects", sects, "no protected-mode kernel after setup");
	out->kernel_offset = out->setup_size;
	out->kernel_size = size - out->setup_size;
	return 0;
}

/* pref_address where it is aligned and inside RAM (a relocatable kernel
 * with a bad one goes to the next kernel_alignment boundary above 16 MiB). */
static int plan_kernel(const uint8_t *img, uint64_t ram, struct lx_image *out, struct lx_error *err)
{
	uint64_t align = rd(img + HDR_KERNEL_ALIGNMENT, 4);
	uint64_t at = rd64(img + HDR_PREF_ADDRESS);

	out->init_size = rd(img + HDR_INIT_SIZE, 4);
	if (out->init_size < out->kernel_size)
		out->init_size = out->kernel_size;
	if (img[HDR_RELOCATABLE]) {
		if (align == 0 || (align & (align - 1)) || align > 1ull << 30)
			return refuse(err, -EINVAL, "kernel_alignment", align, "not a power of two up to 1 GiB");
		if (at < MiB || (at & (align - 1)))
			at = (16 * MiB + align - 1) & ~(align - 1);
	} else if (at != MiB && at != rd(img + 0x214, 4)) {
		at = rd(img + 0x214, 4);       /* code32_start: a fixed kernel's only place */
	}
	if (at < MiB)
		return refuse(err, -EINVAL, "pref_address", at, "below 1 MiB");
	if (at >= ram || out->init_size > ram - at)
		return refuse(err, -ENOSPC, "init_size", out->init_size,
			      "the kernel's working size does not fit in RAM at its load address");
	out->load_gpa = at;
	out->entry = at + LX_ENTRY64_OFFSET;
	return 0;
}

/* The initrd as high as RAM and initrd_addr_max allow, page aligned, not
 * over the kernel's working area. */
static int plan_initrd(const uint8_t *img, uint64_t ram, uint64_t isize, struct lx_image *out,
		       struct lx_error *err)
{
	out->initrd_max = rd(img + HDR_INITRD_ADDR_MAX, 4);
	if (!isize)
		return 0;
	uint64_t top = out->initrd_max + 1 < ram ? out->initrd_max + 1 : ram;
	if (isize > top)
		return refuse(err, -ENOSPC, "initrd size", isize, "larger than RAM below initrd_addr_max");
	uint64_t at = (top - isize) & ~(PAGE - 1);
	if (at < out->load_gpa + out->init_size)
		return refuse(err, -ENOSPC, "initrd size", isize,
			      "does not fit between the kernel and initrd_addr_max");
	out->initrd_gpa = at;
	return 0;
}

int lx_parse(const void *image, uint64_t size, uint64_t ram, uint64_t initrd_size,
	     struct lx_image *out, struct lx_error *err)
{
	const uint8_t *img = image;
	int r;

	memset(out, 0, sizeof(*out));
	if ((r = check_header(img, size, out, err)) || (r = plan_kernel(img, ram, out, err)))
		return r;
	out->cmdline_size = rd(img + HDR_CMDLINE_SIZE, 4);
	return plan_initrd(img, ram, initrd_size, out, err);
}

/* Flat 64-bit code at 0x10 and data at 0x18, as the protocol requires. */
static void put_gdt(uint8_t *gdt)
{
	wr(gdt + LX_BOOT_CS, 0x00af9b000000ffffull, 8);
	wr(gdt + LX_BOOT_DS, 0x00cf93000000ffffull, 8);
}

/* 0-4 GiB identity with 2 MiB pages: covers the kernel, boot_params, the
 * command line and the initrd wherever RAM (at most 3 GiB) put them. */
static void put_page_tables(uint8_t *pt)
{
	uint8_t *pml4 = pt, *pdpt = pt + PAGE, *pd = pt + 2 * PAGE;

	wr(pml4, (LX_PT_GPA + PAGE) | 3, 8);
	for (uint64_t i = 0; i < 4; i++)
		wr(pdpt + 8 * i, (LX_PT_GPA + (2 + i) * PAGE) | 3, 8);
	for (uint64_t i = 0; i < 4 * 512; i++)
		wr(pd + 8 * i, (i << 21) | 0x83, 8);   /* present, writable, 2 MiB */
}

static void put_zero_page(uint8_t *bp, const uint8_t *img, const struct lx_image *li,
			  uint64_t initrd_size, const struct lx_e820 *map, unsigned nmap,
			  uint64_t rsdp_gpa)
{
	memcpy(bp + HDR_START, img + HDR_START, header_end(img) - HDR_START);
	bp[HDR_TYPE_OF_LOADER] = 0xff;                /* "undefined" loader */
	bp[HDR_LOADFLAGS] = (uint8_t)((bp[HDR_LOADFLAGS] | LX_LOADED_HIGH | LX_CAN_USE_HEAP));
	wr(bp + HDR_HEAP_END_PTR, 0xfe00, 2);         /* no real-mode setup ran: unused */
	wr(bp + HDR_CMD_LINE_PTR, LX_CMDLINE_GPA, 4);
	wr(bp + BP_EXT_CMD_LINE_PTR, 0, 4);
	wr(bp + HDR_RAMDISK_IMAGE, li->initrd_gpa, 4);
	wr(bp + HDR_RAMDISK_SIZE, initrd_size, 4);
	wr(bp + BP_EXT_RAMDISK_IMAGE, li->initrd_gpa >> 32, 4);
	wr(bp + BP_EXT_RAMDISK_SIZE, initrd_size >> 32, 4);
	if (li->version >= 0x020e)
		wr(bp + BP_ACPI_RSDP_ADDR, rsdp_gpa, 8);
	bp[BP_E820_ENTRIES] = (uint8_t)nmap;
	for (unsigned i = 0; i < nmap; i++) {
		uint8_t *e = bp + BP_E820_TABLE + 20 * i;
		wr(e, map[i].addr, 8);
		wr(e + 8, map[i].size, 8);
		wr(e + 16, map[i].type, 4);
	}
}

int lx_build_low(void *buf, const void *image, const struct lx_image *li, const char *cmdline,
		 uint64_t initrd_size, const struct lx_e820 *map, unsigned nmap, uint64_t rsdp_gpa)
{
	uint8_t *low = buf;
	uint64_t n = strlen(cmdline);

	if (nmap > LX_E820_MAX)
		return -EINVAL;
	if (n > li->cmdline_size || n >= LX_CMDLINE_MAX)
		return -E2BIG;
	memset(low, 0, LX_LOW_SIZE);
	put_gdt(low + (LX_GDT_GPA - LX_GDT_GPA));
	put_page_tables(low + (LX_PT_GPA - LX_GDT_GPA));
	put_zero_page(low + (LX_ZERO_PAGE_GPA - LX_GDT_GPA), image, li, initrd_size, map, nmap,
		      rsdp_gpa);
	memcpy(low + (LX_CMDLINE_GPA - LX_GDT_GPA), cmdline, n + 1);
	return 0;
}
