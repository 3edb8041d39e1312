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

#endif
