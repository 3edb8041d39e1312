/* mb-highmem: RAM above the PC's device hole. With more RAM than fits
 * below it (`-m 4608M`), the memory map has RAM from 4 GiB, CMOS 0x5b-0x5d
 * give its size (64 KiB units, as QEMU's firmware reads them), and its
 * first and last pages keep what is written there; with less, the map
 * has none and CMOS says 0. Sizes are not printed: QEMU's q35 splits at
 * 2 GiB, its pc (and ./sealvisor) at 3 GiB, and the lines must match. */
#include "guest/mb/mb.h"
#include "lib/string.h"

const char *mb_name = "mb-highmem";

#define GIB (1ull << 30)
#define WINDOW (4 * GIB)                 /* PDPT[4]: where the page is seen */

static uint64_t pd[512] __attribute__((aligned(4096)));

/* The sum of the map's RAM at 4 GiB and up, and its lowest and highest
 * page there. */
static uint64_t high_ram(uint64_t *first, uint64_t *last)
{
	const struct mb_info *i = mb_boot_info;
	const uint8_t *p = (const uint8_t *)(uintptr_t)i->mmap_addr, *end = p + i->mmap_length;
	uint64_t sum = 0;

	*first = ~0ull, *last = 0;
	for (; p < end; ) {
		uint32_t size, type;
		uint64_t base, len;
		memcpy(&size, p, 4);
		memcpy(&base, p + 4, 8);
		memcpy(&len, p + 12, 8);
		memcpy(&type, p + 20, 4);
		if (type == 1 && base >= WINDOW && len >= 4096) {
			sum += len;
			if (base < *first)
				*first = base;
			if (base + len - 4096 > *last)
				*last = base + len - 4096;
		}
		p += size + 4;
	}
	return sum;
}

/* The boot tables map the first 4 GiB only: the GiB holding pa goes in
 * at virtual 4 GiB through PDPT[4], 2 MiB pages. */
static volatile uint64_t *see(uint64_t pa)
{
	uint64_t cr3, gib = pa & ~(GIB - 1);

	__asm__ volatile("mov %%cr3, %0" : "=r"(cr3));
	uint64_t *pml4 = (uint64_t *)(uintptr_t)(cr3 & ~0xfffull);
	uint64_t *pdpt = (uint64_t *)(uintptr_t)(pml4[0] & 0xffffffffff000ull);
	for (unsigned i = 0; i < 512; i++)
		pd[i] = (gib + ((uint64_t)i << 21)) | 0x83;
	pdpt[4] = (uint64_t)(uintptr_t)pd | 3;
	__asm__ volatile("mov %0, %%cr3" : : "r"(cr3) : "memory");
	return (volatile uint64_t *)(uintptr_t)(WINDOW + (pa - gib));
}

static bool keeps(uint64_t pa, uint64_t pattern)
{
	volatile uint64_t *p = see(pa);

	p[0] = pattern;
	p[511] = ~pattern;
	see(0);                          /* another GiB in between */
	p = see(pa);
	return p[0] == pattern && p[511] == ~pattern;
}

void mb_test(void)
{
	uint64_t first, last, sum = high_ram(&first, &last);
	uint64_t cmos = ((uint64_t)mb_cmos(0x5b) | (uint64_t)mb_cmos(0x5c) << 8 |
			 (uint64_t)mb_cmos(0x5d) << 16) << 16;

	if (!sum) {
		mb_printf("%s: no RAM above 4 GiB\n", mb_name);
		mb_check(cmos == 0, "CMOS 0x5b-0x5d say no RAM above 4 GiB");
		return;
	}
	mb_printf("%s: RAM above 4 GiB in the memory map\n", mb_name);
	mb_check(first == WINDOW, "it starts at 4 GiB");
	mb_check(cmos == sum, "CMOS 0x5b-0x5d give its size");
	mb_check(keeps(first, 0x5ea1f00d12345678ull), "its first page keeps what was written");
	mb_check(keeps(last, 0x0123456789abcdefull), "its last page keeps what was written");
	mb_check(keeps(first, 0xfeedfacecafebeefull) && keeps(last, 0x1111222233334444ull),
		 "both again, after the other");
}
