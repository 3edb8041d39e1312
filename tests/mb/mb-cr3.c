/* mb-cr3: a guest's CR3 is its own business. A kernel may load any page
 * of its RAM as its top-level table; it loads each page of the top 64 MiB
 * of its low RAM in turn (a copy of its PML4 entry 0 there, which maps all
 * it uses) and makes an exit (CPUID) with it. The hypervisor's own CR3 is
 * a physical address near the top of the machine's RAM below its PCI
 * hole: with `./sealvisor -m 2G` (QEMU q35 given 2816 MiB, its low RAM
 * ending at 2 GiB, where the guest's ends too) one of these pages has
 * that number, and an SVM tripwire that took a guest VMCB holding the
 * host's CR3 for leaked host state stopped the whole machine (status 3)
 * there. At mb-tests.sh's 128 MiB it only shows that the loop runs. */
#include "guest/mb/mb.h"

const char *mb_name = "mb-cr3";

#define MIB (1ull << 20)
#define GIB (1ull << 30)
#define SCAN (64 * MIB)

/* The end of the memory map's highest RAM below 4 GiB. */
static uint64_t low_ram_end(void)
{
	const struct mb_info *i = mb_boot_info;
	const uint8_t *p = (const uint8_t *)(uintptr_t)i->mmap_addr, *end = p + i->mmap_length;
	uint64_t top = 0;

	while (p < end) {
		uint32_t size = *(const uint32_t *)p, type = *(const uint32_t *)(p + 20);
		uint64_t base = *(const uint64_t *)(p + 4), len = *(const uint64_t *)(p + 12);
		if (type == 1 && base + len <= 4 * GIB && base + len > top)
			top = base + len;
		p += size + 4;
	}
	return top & ~0xfffull;
}

void mb_test(void)
{
	uint64_t cr3, top = low_ram_end();
	uint64_t bottom = top > SCAN + 16 * MIB ? top - SCAN : 16 * MIB;
	unsigned tries = 0, same = 0;

	__asm__ volatile("mov %%cr3, %0" : "=r"(cr3));
	uint64_t entry0 = *(const uint64_t *)(uintptr_t)(cr3 & ~0xfffull);
	for (uint64_t x = top - 4096; x >= bottom; x -= 4096, tries++) {
		uint32_t a = 0, b, c = 0, d;
		*(volatile uint64_t *)(uintptr_t)x = entry0;
		__asm__ volatile("mov %0, %%cr3" : : "r"(x) : "memory");
		__asm__ volatile("cpuid" : "+a"(a), "=b"(b), "+c"(c), "=d"(d));
		__asm__ volatile("mov %0, %%cr3" : : "r"(cr3) : "memory");
		same += a != 0;
	}
	mb_printf("%s: loaded CR3 with each page of the top of its low RAM and made an exit\n",
		  mb_name);
	mb_check(tries == (top - bottom) / 4096 && same == tries,
		 "every try ran (CPUID answered under each CR3)");
}
