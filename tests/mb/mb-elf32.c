/* mb-elf32: a Multiboot kernel in the format most of them have, an ELF32
 * file whose header has no a.out-kludge addresses (the Makefile builds it
 * with entry.asm's MB_ELF32 header and rewrites the linked file as ELF32),
 * so the loader places it by its program headers and enters it at the ELF
 * entry point. Checks what that must give: the entry state, initialised
 * data where the program header put it, a zeroed bss past the file's end,
 * and the boot information. Same lines on QEMU and under ./sealvisor. */
#include "guest/mb/mb.h"

const char *mb_name = "mb-elf32";

static volatile uint64_t data_words[4] = { 0x5ea1ed0fe1f32ULL, 1, 2, 3 };
static volatile uint8_t bss_bytes[256 * 1024];
extern char _load_end[], _bss_end[];

static bool bss_zero(void)
{
	for (unsigned i = 0; i < sizeof(bss_bytes); i++)
		if (bss_bytes[i])
			return false;
	return true;
}

void mb_test(void)
{
	mb_check(mb_entry->eax == 0x2badb002u, "EAX holds the boot magic");
	mb_check((mb_entry->cr0 & 0x80000001u) == 1, "entered with CR0.PE set and CR0.PG clear");
	mb_check(data_words[0] == 0x5ea1ed0fe1f32ULL && data_words[3] == 3,
		 "initialised data loaded from the file");
	mb_check((uintptr_t)bss_bytes >= (uintptr_t)_load_end && (uintptr_t)_bss_end > (uintptr_t)_load_end,
		 "the bss lies past the loaded bytes");
	mb_check(bss_zero(), "the bss (256 KiB past the file's end) is zero");
	mb_check(mb_boot_info && (mb_boot_info->flags & MB_INFO_MEMORY) && mb_boot_info->mem_upper >= 16 * 1024,
		 "boot information with the memory fields");
}
