/*
 * The little of ELF64 that partition loading needs, shared by the
 * hypervisor (loading the control partition) and the VMM (loading guests).
 * Header-only and freestanding.
 */
#ifndef SEALVISOR_ELF64_H
#define SEALVISOR_ELF64_H

#include <stdint.h>
#include <sealvisor/errno.h>

struct elf64_ehdr {
	uint8_t ident[16];
	uint16_t type, machine;
	uint32_t version;
	uint64_t entry, phoff, shoff;
	uint32_t flags;
	uint16_t ehsize, phentsize, phnum, shentsize, shnum, shstrndx;
};

struct elf64_phdr {
	uint32_t type, flags;
	uint64_t offset, vaddr, paddr, filesz, memsz, align;
};

#define ELF_PT_LOAD 1
#define ELF_PT_NOTE 4

/* A guest image may carry notes named "sealvisor" for its VMM:
 *   type 1: 4-byte descriptor, how many vCPUs it wants (without it, one);
 *   type 2: 4-byte descriptor, the SV_MSR_POLICY_* it asks for (without
 *           it, GP);
 *   type 3: 4-byte descriptor, the mode its vCPUs start in: SV_START_64
 *           (without it), SV_START_32 or SV_START_16 (guest/vmm/layout.h
 *           has the states);
 *   type 4: a CPUID table, n * 32 bytes laid out as struct sv_cpuid_entry
 *           (include/sealvisor/hypercall.h), for VM_SET_CPUID;
 *   type 5: 4-byte descriptor, how vCPUs 1..n-1 start: SV_AP_START_RUN
 *           (without it: at the entry point like vCPU 0) or
 *           SV_AP_START_SIPI (waiting for INIT/SIPI from vCPU 0,
 *           SV_MP_STATE_WAIT_SIPI). */
#define SV_NOTE_VCPUS 1
#define SV_NOTE_MSR_POLICY 2
#define SV_NOTE_START_MODE 3
#define SV_NOTE_CPUID 4
#define SV_NOTE_AP_START 5
#define SV_AP_START_RUN 0
#define SV_AP_START_SIPI 1
#define SV_START_64 64
#define SV_START_32 32
#define SV_START_16 16

struct elf64_note {
	uint32_t namesz, descsz, type;
};

/* Checks an x86-64 executable's header and that every program header and
 * every PT_LOAD segment's file bytes lie inside the image. */
static inline int elf64_check(const void *img, uint64_t size)
{
	const struct elf64_ehdr *h = img;

	if (size < sizeof(*h) || h->ident[0] != 0x7f || h->ident[1] != 'E' ||
	    h->ident[2] != 'L' || h->ident[3] != 'F' || h->ident[4] != 2 /* 64-bit */ ||
	    h->ident[5] != 1 /* little endian */ || h->type != 2 /* EXEC */ ||
	    h->machine != 62 /* x86-64 */ || h->phentsize != sizeof(struct elf64_phdr))
		return -ENOEXEC;
	if (h->phoff > size || (uint64_t)h->phnum * sizeof(struct elf64_phdr) > size - h->phoff)
		return -ENOEXEC;
	const struct elf64_phdr *ph = (const void *)((const uint8_t *)img + h->phoff);
	for (unsigned i = 0; i < h->phnum; i++) {
		if (ph[i].type != ELF_PT_LOAD)
			continue;
		if (ph[i].offset > size || ph[i].filesz > size - ph[i].offset ||
		    ph[i].filesz > ph[i].memsz || ph[i].paddr + ph[i].memsz < ph[i].paddr)
			return -ENOEXEC;
	}
	return 0;
}

static inline const struct elf64_phdr *elf64_phdrs(const void *img)
{
	const struct elf64_ehdr *h = img;
	return (const void *)((const uint8_t *)img + h->phoff);
}

/* The descriptor of the first sealvisor note of this type, its size in
 * *descsz; NULL if none. elf64_check must have passed. */
static inline const void *elf64_note(const void *img, uint64_t size, uint32_t type,
				     uint32_t *descsz)
{
	const struct elf64_phdr *ph = elf64_phdrs(img);

	for (unsigned i = 0; i < ((const struct elf64_ehdr *)img)->phnum; i++) {
		if (ph[i].type != ELF_PT_NOTE || ph[i].offset > size || ph[i].filesz > size - ph[i].offset)
			continue;
		const uint8_t *p = (const uint8_t *)img + ph[i].offset, *end = p + ph[i].filesz;
		while (p + sizeof(struct elf64_note) <= end) {
			const struct elf64_note *n = (const void *)p;
			uint64_t name = (n->namesz + 3) & ~3u, desc = (n->descsz + 3) & ~3u;
			const uint8_t *nm = p + sizeof(*n);
			if (nm + name + desc > end)
				break;
			if (n->type == type && n->namesz == 10 && nm[0] == 's' && nm[8] == 'r' &&
			    nm[9] == 0) {
				*descsz = n->descsz;
				return nm + name;
			}
			p = nm + name + desc;
		}
	}
	return 0;
}

/* A 4-byte note's value, or dflt. */
static inline uint32_t elf64_note_u32(const void *img, uint64_t size, uint32_t type,
				      uint32_t dflt)
{
	uint32_t len;
	const void *d = elf64_note(img, size, type, &len);

	return d && len == 4 ? *(const uint32_t *)d : dflt;
}

/* The sealvisor vCPU-count note, or 1. elf64_check must have passed. */
static inline uint32_t elf64_vcpus(const void *img, uint64_t size)
{
	return elf64_note_u32(img, size, SV_NOTE_VCPUS, 1);
}

/* The start-mode note, or SV_START_64. elf64_check must have passed. */
static inline uint32_t elf64_start_mode(const void *img, uint64_t size)
{
	return elf64_note_u32(img, size, SV_NOTE_START_MODE, SV_START_64);
}

static inline uint32_t elf64_ap_start(const void *img, uint64_t size)
{
	return elf64_note_u32(img, size, SV_NOTE_AP_START, SV_AP_START_RUN);
}

#endif
