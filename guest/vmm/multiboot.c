/* Multiboot v1 image checks and boot information (guest/vmm/multiboot.h). Every
 * value read from the image is checked before it is used: the image is
 * the guest author's, and the VMM running this code must not be steered
 * into writing outside the guest's RAM or its own buffers. */
#include <stdbool.h>
#include <sealvisor/errno.h>
#include "lib/fmt.h"
#include "guest/vmm/multiboot.h"
#include "lib/string.h"

#define EM_386 3
#define EM_X86_64 62
#define PT_LOAD 1

struct mb_header {
	uint32_t magic, flags, checksum;
	uint32_t header_addr, load_addr, load_end_addr, bss_end_addr, entry_addr;
};

static int refuse(struct mb_error *err, int code, uint64_t value, const char *why,
		  const char *field, ...)
{
	va_list ap;

	va_start(ap, field);
	sv_vsnprintf(err->field, sizeof(err->field), field, ap);
	va_end(ap);
	err->value = value;
	err->why = why;
	return code;
}

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t rd64(const uint8_t *p)
{
	return rd32(p) | (uint64_t)rd32(p + 4) << 32;
}

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

/* The header: 4-byte aligned in the first 8 KiB, checksum summing to 0. */
static int find_header(const uint8_t *img, uint64_t size, struct mb_header *h, uint32_t *at)
{
	uint64_t limit = size < MB_SEARCH_LIMIT ? size : MB_SEARCH_LIMIT;

	for (uint64_t off = 0; off + 12 <= limit; off += 4) {
		if (rd32(img + off) != MB_HEADER_MAGIC)
			continue;
		h->magic = MB_HEADER_MAGIC;
		h->flags = rd32(img + off + 4);
		h->checksum = rd32(img + off + 8);
		if ((uint32_t)(h->magic + h->flags + h->checksum) != 0)
			continue;
		if (h->flags & MB_FLAG_AOUT_KLUDGE) {
			if (off + sizeof(*h) > size)
				return -EINVAL;
			h->header_addr = rd32(img + off + 12);
			h->load_addr = rd32(img + off + 16);
			h->load_end_addr = rd32(img + off + 20);
			h->bss_end_addr = rd32(img + off + 24);
			h->entry_addr = rd32(img + off + 28);
		}
		*at = (uint32_t)off;
		return 0;
	}
	return -ENOEXEC;
}

static int add_segment(struct mb_image *out, uint64_t paddr, uint64_t offset, uint64_t filesz,
		       uint64_t memsz, struct mb_error *err)
{
	if (out->nseg == MB_MAX_SEGMENTS)
		return refuse(err, -E2BIG, out->nseg + 1u, "more loadable segments than the VMM takes",
			      "segments");
	out->seg[out->nseg++] = (struct mb_segment){ paddr, offset, filesz, memsz };
	return 0;
}

/* The a.out kludge (3.1.3): the header says where the file goes. */
static int parse_aout(const struct mb_header *h, uint64_t size, struct mb_image *out,
		      struct mb_error *err)
{
	if (h->load_addr > h->header_addr)
		return refuse(err, -EINVAL, h->load_addr, "above header_addr", "load_addr");
	if (h->header_addr - h->load_addr > out->header_offset)
		return refuse(err, -EINVAL, h->header_addr,
			      "places the header before the start of the file", "header_addr");
	uint64_t offset = out->header_offset - (h->header_addr - h->load_addr);
	uint64_t filesz = size - offset;
	if (h->load_end_addr) {
		if (h->load_end_addr <= h->load_addr)
			return refuse(err, -EINVAL, h->load_end_addr, "not above load_addr",
				      "load_end_addr");
		if (h->load_end_addr - h->load_addr > filesz)
			return refuse(err, -EINVAL, h->load_end_addr, "past the end of the file",
				      "load_end_addr");
		filesz = h->load_end_addr - h->load_addr;
	}
	uint64_t memsz = filesz;
	if (h->bss_end_addr) {
		if (h->bss_end_addr < h->load_addr + filesz)
			return refuse(err, -EINVAL, h->bss_end_addr, "below the end of the loaded file",
				      "bss_end_addr");
		memsz = h->bss_end_addr - h->load_addr;
	}
	out->format = MB_FORMAT_AOUT;
	out->entry = h->entry_addr;
	return add_segment(out, h->load_addr, offset, filesz, memsz, err);
}

/* ELF32 and ELF64 alike: load by physical address, as GRUB does; an entry
 * given as a virtual address inside a segment moves with that segment. */
static int parse_elf(const uint8_t *img, uint64_t size, struct mb_image *out, struct mb_error *err)
{
	bool is64 = img[4] == 2;
	uint64_t ehsize = is64 ? 64 : 52, phentsize_want = is64 ? 56 : 32;

	if (size < ehsize || img[0] != 0x7f || img[1] != 'E' || img[2] != 'L' || img[3] != 'F')
		return refuse(err, -ENOEXEC, size, "no a.out kludge and not an ELF file", "e_ident");
	if (img[4] != 1 && img[4] != 2)
		return refuse(err, -EINVAL, img[4], "neither ELF32 nor ELF64", "e_ident[EI_CLASS]");
	if (img[5] != 1)
		return refuse(err, -EINVAL, img[5], "not little-endian", "e_ident[EI_DATA]");
	uint16_t type = rd16(img + 16), machine = rd16(img + 18);
	if (type != 2)
		return refuse(err, -EINVAL, type, "not an executable", "e_type");
	if (machine != (is64 ? EM_X86_64 : EM_386))
		return refuse(err, -EINVAL, machine, "not x86", "e_machine");
	uint64_t entry = is64 ? rd64(img + 24) : rd32(img + 24);
	uint64_t phoff = is64 ? rd64(img + 32) : rd32(img + 28);
	uint16_t phentsize = rd16(img + (is64 ? 54 : 42)), phnum = rd16(img + (is64 ? 56 : 44));
	if (phentsize != phentsize_want)
		return refuse(err, -EINVAL, phentsize, "wrong program-header size", "e_phentsize");
	if (phnum == 0)
		return refuse(err, -EINVAL, 0, "no program headers", "e_phnum");
	if (phoff > size || (uint64_t)phnum * phentsize > size - phoff)
		return refuse(err, -EINVAL, phoff, "program headers past the end of the file",
			      "e_phoff");
	out->format = is64 ? MB_FORMAT_ELF64 : MB_FORMAT_ELF32;
	bool entry_moved = false;
	for (unsigned i = 0; i < phnum; i++) {
		const uint8_t *ph = img + phoff + (uint64_t)i * phentsize;
		if (rd32(ph) != PT_LOAD)
			continue;
		uint64_t off = is64 ? rd64(ph + 8) : rd32(ph + 4);
		uint64_t vaddr = is64 ? rd64(ph + 16) : rd32(ph + 8);
		uint64_t paddr = is64 ? rd64(ph + 24) : rd32(ph + 12);
		uint64_t filesz = is64 ? rd64(ph + 32) : rd32(ph + 16);
		uint64_t memsz = is64 ? rd64(ph + 40) : rd32(ph + 20);
		if (memsz == 0)
			continue;
		if (off > size || filesz > size - off)
			return refuse(err, -EINVAL, filesz, "file bytes past the end of the file",
				      "phdr[%u].p_filesz", i);
		if (filesz > memsz)
			return refuse(err, -EINVAL, filesz, "larger than p_memsz", "phdr[%u].p_filesz", i);
		int r = add_segment(out, paddr, off, filesz, memsz, err);
		if (r)
			return r;
		if (!entry_moved && entry >= vaddr && entry - vaddr < memsz) {
			entry = paddr + (entry - vaddr);
			entry_moved = true;
		}
	}
	if (out->nseg == 0)
		return refuse(err, -EINVAL, phnum, "no PT_LOAD program header with memory", "e_phnum");
	if (entry > UINT32_MAX)
		return refuse(err, -EINVAL, entry, "above 4 GiB: entry is in 32-bit mode", "e_entry");
	out->entry = (uint32_t)entry;
	return 0;
}

static bool overlaps(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	return a < b + blen && b < a + alen;
}

/* Every segment inside RAM, apart from the others and from what the VMM
 * places; the entry inside a segment's bytes. */
static int check_placement(const struct mb_image *m, uint64_t ram_end, const struct mb_range *res,
			   unsigned nres, struct mb_error *err)
{
	bool entry_inside = false;

	for (unsigned i = 0; i < m->nseg; i++) {
		const struct mb_segment *s = &m->seg[i];
		if (s->paddr >= ram_end)
			return refuse(err, -EINVAL, s->paddr, "outside guest RAM", "segment[%u].paddr", i);
		if (s->memsz > ram_end - s->paddr)
			return refuse(err, -EINVAL, s->paddr + s->memsz, "end (with bss) outside guest RAM",
				      "segment[%u].end", i);
		for (unsigned j = 0; j < i; j++)
			if (overlaps(s->paddr, s->memsz, m->seg[j].paddr, m->seg[j].memsz))
				return refuse(err, -EINVAL, s->paddr, "overlaps an earlier segment",
					      "segment[%u].paddr", i);
		for (unsigned j = 0; j < nres; j++)
			if (overlaps(s->paddr, s->memsz, res[j].start, res[j].end - res[j].start))
				return refuse(err, -EINVAL, s->paddr, res[j].what, "segment[%u].paddr", i);
		if (m->entry >= s->paddr && m->entry - s->paddr < s->memsz)
			entry_inside = true;
	}
	if (!entry_inside)
		return refuse(err, -EINVAL, m->entry, "not inside a loaded segment", "entry");
	return 0;
}

int mb_parse(const void *image, uint64_t size, uint64_t ram_end, const struct mb_range *reserved,
	     unsigned nreserved, struct mb_image *out, struct mb_error *err)
{
	const uint8_t *img = image;
	struct mb_header h = { 0 };
	int r;

	memset(out, 0, sizeof(*out));
	memset(err, 0, sizeof(*err));
	r = find_header(img, size, &h, &out->header_offset);
	if (r == -ENOEXEC)
		return refuse(err, r, size, "no Multiboot header (magic 0x1badb002, checksum) in "
			      "the first 8 KiB", "header");
	if (r)
		return refuse(err, r, out->header_offset, "a.out kludge fields past the end of the file",
			      "header");
	out->flags = h.flags;
	uint32_t required = h.flags & 0xffffu;
	if (required & ~MB_FLAGS_SUPPORTED)
		return refuse(err, -EINVAL, required & ~MB_FLAGS_SUPPORTED,
			      "requirement the VMM cannot meet (bit 2: a video mode)", "flags");
	r = (h.flags & MB_FLAG_AOUT_KLUDGE) ? parse_aout(&h, size, out, err) : parse_elf(img, size, out, err);
	if (r)
		return r;
	return check_placement(out, ram_end, reserved, nreserved, err);
}

/* ---- boot information ---------------------------------------------------- */

struct builder {
	uint8_t *buf;
	uint64_t len, used, gpa;
};

/* Reserves n bytes (8-aligned); returns their guest-physical address, or
 * 0 when the buffer is full. */
static uint32_t take(struct builder *b, uint64_t n, void **where)
{
	uint64_t at = (b->used + 7) & ~7ull;

	if (at > b->len || n > b->len - at)
		return 0;
	b->used = at + n;
	*where = b->buf + at;
	return (uint32_t)(b->gpa + at);
}

static uint32_t put_string(struct builder *b, const char *s)
{
	void *p;
	uint64_t n = strlen(s) + 1;
	uint32_t gpa = take(b, n, &p);

	if (gpa)
		memcpy(p, s, n);
	return gpa;
}

/* mem_lower: KiB of RAM from 0 (at most 640); mem_upper: KiB of RAM from
 * 1 MiB up to the first hole, both from the map's RAM entries. */
static int memory_sizes(const struct mb_boot *b, struct mb_info *info)
{
	bool low = false, high = false;

	for (unsigned i = 0; i < b->nmmap; i++) {
		const struct mb_mmap *e = &b->mmap[i];
		if (e->type != MB_MMAP_RAM)
			continue;
		if (e->base == 0) {
			uint64_t kib = e->length / 1024;
			info->mem_lower = (uint32_t)(kib > 640 ? 640 : kib);
			low = true;
		}
		if (e->base <= 0x100000 && e->base + e->length > 0x100000) {
			uint64_t kib = (e->base + e->length - 0x100000) / 1024;
			info->mem_upper = (uint32_t)(kib > UINT32_MAX ? UINT32_MAX : kib);
			high = true;
		}
	}
	return low && high ? 0 : -EINVAL;
}

static int put_mmap(struct builder *b, const struct mb_boot *mb, struct mb_info *info)
{
	uint8_t *p;
	uint32_t gpa = take(b, 24ull * mb->nmmap, (void **)&p);

	if (!gpa)
		return -ENOSPC;
	for (unsigned i = 0; i < mb->nmmap; i++, p += 24) {
		uint32_t entry_size = 20;   /* "size" does not count itself */
		memcpy(p, &entry_size, 4);
		memcpy(p + 4, &mb->mmap[i].base, 8);
		memcpy(p + 12, &mb->mmap[i].length, 8);
		memcpy(p + 20, &mb->mmap[i].type, 4);
	}
	info->mmap_addr = gpa;
	info->mmap_length = 24u * mb->nmmap;
	return 0;
}

static int put_modules(struct builder *b, const struct mb_boot *mb, struct mb_info *info)
{
	uint32_t *list;
	uint32_t gpa = take(b, 16ull * mb->nmods, (void **)&list);

	if (!gpa)
		return -ENOSPC;
	for (unsigned i = 0; i < mb->nmods; i++) {
		uint32_t s = put_string(b, mb->mods[i].cmdline ? mb->mods[i].cmdline : "");
		if (!s)
			return -ENOSPC;
		list[4 * i] = mb->mods[i].start;
		list[4 * i + 1] = mb->mods[i].end;
		list[4 * i + 2] = s;
		list[4 * i + 3] = 0;
	}
	info->mods_addr = gpa;
	info->mods_count = mb->nmods;
	return 0;
}

int64_t mb_build_info(void *buf, uint64_t len, uint64_t info_gpa, const struct mb_boot *mb)
{
	struct builder b = { buf, len, 0, info_gpa };
	struct mb_info *info;

	/* 0 is the builder's "full" answer, and a 32-bit kernel reads it all. */
	if (info_gpa == 0 || info_gpa > UINT32_MAX || len > UINT32_MAX - info_gpa + 1)
		return -EINVAL;
	if (!take(&b, sizeof(*info), (void **)&info))
		return -ENOSPC;
	memset(info, 0, sizeof(*info));
	if (memory_sizes(mb, info))
		return -EINVAL;
	info->flags = MB_INFO_MEMORY | MB_INFO_MMAP | MB_INFO_LOADER_NAME;
	if (put_mmap(&b, mb, info) || !(info->boot_loader_name = put_string(&b, mb->loader_name)))
		return -ENOSPC;
	if (mb->cmdline) {
		if (!(info->cmdline = put_string(&b, mb->cmdline)))
			return -ENOSPC;
		info->flags |= MB_INFO_CMDLINE;
	}
	if (mb->nmods) {
		if (put_modules(&b, mb, info))
			return -ENOSPC;
		info->flags |= MB_INFO_MODS;
	}
	return (int64_t)b.used;
}
