/* mb-boot: the Multiboot entry state and boot information, as the
 * specification (3.2, 3.3) promises and QEMU's loader gives: EAX magic,
 * paging off with protection on, interrupts off, the memory fields and
 * map, command line, modules (an initrd whose first line it prints) and
 * loader name; then long mode (entry.asm) and SSE arithmetic. Prints the
 * same lines on QEMU and under ./sealvisor (tests/mb-tests.sh compares). */
#include "guest/mb/mb.h"
#include "lib/string.h"

const char *mb_name = "mb-boot";

static void entry_state(void)
{
	mb_check(mb_entry->eax == 0x2badb002u, "EAX holds the boot magic");
	mb_check((mb_entry->cr0 & 0x80000001u) == 1, "entered with CR0.PE set and CR0.PG clear");
	mb_check(!(mb_entry->eflags & (1u << 9)), "entered with interrupts off");
	mb_check(!(mb_entry->eflags & (1u << 17)), "entered outside virtual-8086 mode");
	mb_check(!(mb_entry->cr4 & (1u << 5)), "entered without PAE");
	mb_check(rdmsr(0xc0000080) & (1u << 10), "long mode active (EFER.LMA)");
}

/* The map must cover 1 MiB up to mem_upper with RAM, as its first hole. */
static bool mmap_matches_upper(const struct mb_info *i)
{
	const uint8_t *p = (const uint8_t *)(uintptr_t)i->mmap_addr;
	const uint8_t *end = p + i->mmap_length;
	uint64_t want_end = 0x100000 + (uint64_t)i->mem_upper * 1024;

	while (p < end) {
		uint32_t size;
		uint64_t base, len;
		uint32_t type;
		memcpy(&size, p, 4);
		memcpy(&base, p + 4, 8);
		memcpy(&len, p + 12, 8);
		memcpy(&type, p + 20, 4);
		if (type == 1 && base <= 0x100000 && base + len >= want_end)
			return true;
		p += size + 4;
	}
	return false;
}

static void boot_information(void)
{
	const struct mb_info *i = mb_boot_info;

	mb_check(i != NULL, "EBX points at boot information");
	if (!i)
		return;
	mb_check(i->flags & MB_INFO_MEMORY, "memory fields present (header asked for them)");
	mb_check(i->mem_lower >= 512 && i->mem_lower <= 640, "mem_lower between 512 and 640 KiB");
	mb_check(i->mem_upper >= 16 * 1024, "mem_upper at least 16 MiB");
	mb_check((i->flags & MB_INFO_MMAP) && i->mmap_length % 24 == 0 && mmap_matches_upper(i),
		 "memory map has RAM from 1 MiB up to mem_upper");
	mb_check(i->flags & MB_INFO_CMDLINE, "command line present");
	const char *greet = mb_cmdline_value("greet");
	int glen = 0;
	while (greet && greet[glen] && greet[glen] != ' ')
		glen++;
	mb_printf("%s: greet=%.*s\n", mb_name, greet ? glen : 6, greet ? greet : "(none)");
	mb_check(i->flags & MB_INFO_LOADER_NAME, "boot loader name present");
	if ((i->flags & MB_INFO_MODS) && i->mods_count) {
		const uint32_t *m = (const uint32_t *)(uintptr_t)i->mods_addr;
		const char *data = (const char *)(uintptr_t)m[0];
		char line[48];
		unsigned n = 0;
		while (n < sizeof(line) - 1 && m[0] + n < m[1] && data[n] != '\n')
			line[n] = data[n], n++;
		line[n] = 0;
		mb_printf("%s: %u module(s); the first is %u bytes and begins '%s'\n", mb_name,
			  i->mods_count, m[1] - m[0], line);
		mb_check(m[0] >= 0x100000 && m[1] > m[0] && !(m[0] & 0xfff),
			 "first module above 1 MiB, page aligned");
	} else {
		mb_printf("%s: no modules\n", mb_name);
	}
}

static void sse(void)
{
	static const float a[4] __attribute__((aligned(16))) = { 1.5f, 2.5f, -3.0f, 100.0f };
	static const float b[4] __attribute__((aligned(16))) = { 0.5f, 0.5f, 3.0f, 0.25f };
	float out[4] __attribute__((aligned(16)));

	__asm__ volatile("movaps %1, %%xmm0\n\tmulps %2, %%xmm0\n\tmovaps %%xmm0, %0"
			 : "=m"(out) : "m"(a), "m"(b) : "xmm0");
	uint32_t bits[4];
	memcpy(bits, out, sizeof(bits));
	/* 0.75, 1.25, -9.0, 25.0 as IEEE single precision */
	mb_check(bits[0] == 0x3f400000 && bits[1] == 0x3fa00000 && bits[2] == 0xc1100000 &&
		 bits[3] == 0x41c80000, "SSE multiply gives exact products");
}

void mb_test(void)
{
	entry_state();
	boot_information();
	sse();
}
