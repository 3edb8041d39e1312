/*
 * cpuid-table: a guest whose VMM set a CPUID table (VM_SET_CPUID, from this
 * image's CPUID note) must see exactly that table: every entry as set,
 * index-significant leaves per index, zeros for a leaf or index the table
 * does not answer, and the hypervisor's own leaves 0x40000000/1 untouched;
 * only the APIC ID in leaf 1 is the vCPU's own, whatever the table says.
 */
#include <sealvisor/elf64.h>
#include "guest/lib/kernel.h"
#include "lib/string.h"

#define IDX SV_CPUID_FLAG_INDEX
#define NR_ENTRIES 9
/* Vendor "SealTestCPU!" (EBX, EDX, ECX), brand "sealvisor CPUID table
 * test" in 0x80000002-4. Feature flags: only "hypervisor present". Leaf
 * 1 claims APIC ID 5: the guest must read its own (vCPU 0: 0) instead. */
#define TABLE { \
	{ 0, 0, 0, 0xd, 0x6c616553, 0x21555043, 0x74736554, 0 }, \
	{ 1, 0, 0, 0x000906ea, 0x05010800, 1u << 31, 0, 0 }, \
	{ 4, 0, IDX, 0x4001, 0x4101, 0x4201, 0x4301, 0 }, \
	{ 4, 1, IDX, 0x4002, 0x4102, 0x4202, 0x4302, 0 }, \
	{ 7, 0, IDX, 1, 0, 0, 0, 0 }, \
	{ 0x80000000, 0, 0, 0x80000004, 0, 0, 0, 0 }, \
	{ 0x80000002, 0, 0, 0x6c616573, 0x6f736976, 0x50432072, 0x20444955, 0 }, \
	{ 0x80000003, 0, 0, 0x6c626174, 0x65742065, 0x00007473, 0, 0 }, \
	{ 0x80000004, 0, 0, 0, 0, 0, 0, 0 }, \
}

__attribute__((section(".note.sealvisor"), aligned(4), used))
static const struct {
	uint32_t namesz, descsz, type;
	char name[12];
	struct sv_cpuid_entry e[NR_ENTRIES];
} cpuid_note = { 10, NR_ENTRIES * sizeof(struct sv_cpuid_entry), SV_NOTE_CPUID, "sealvisor", TABLE };

static const struct sv_cpuid_entry table[NR_ENTRIES] = TABLE;
static unsigned failures;

static void check(uint32_t leaf, uint32_t sub, uint32_t a, uint32_t b, uint32_t c, uint32_t d)
{
	uint32_t ga, gb, gc, gd;

	__asm__ volatile("cpuid" : "=a"(ga), "=b"(gb), "=c"(gc), "=d"(gd) : "a"(leaf), "c"(sub));
	if (ga != a || gb != b || gc != c || gd != d) {
		kprintf("FAIL leaf 0x%x index %u: %x %x %x %x, expected %x %x %x %x\n", leaf, sub,
			ga, gb, gc, gd, a, b, c, d);
		failures++;
	}
}

__attribute__((section(".text.start"))) void _start(void)
{
	for (unsigned i = 0; i < NR_ENTRIES; i++) {
		const struct sv_cpuid_entry *e = &table[i];
		uint32_t ebx = e->function == 1 ? e->ebx & 0x00ffffffu : e->ebx;   /* APIC ID 0 */
		check(e->function, e->index, e->eax, ebx, e->ecx, e->edx);
		if (!(e->flags & IDX))   /* the index does not matter */
			check(e->function, e->index + 5, e->eax, ebx, e->ecx, e->edx);
	}
	check(4, 2, 0, 0, 0, 0);               /* an index the table does not answer */
	check(0x80000001, 0, 0, 0, 0, 0);      /* a leaf it does not answer */
	check(2, 0, 0, 0, 0, 0);
	check(SV_CPUID_LEAF, 0, SV_CPUID_ABI_LEAF, SV_CPUID_SIG_EBX, SV_CPUID_SIG_ECX, SV_CPUID_SIG_EDX);
	check(SV_CPUID_ABI_LEAF, 0, SV_ABI_VERSION, 0, 0, 0);
	char brand[49] = { 0 };
	for (uint32_t l = 0; l < 3; l++) {
		uint32_t r[4];
		__asm__ volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3])
				 : "a"(0x80000002 + l), "c"(0));
		memcpy(brand + 16 * l, r, 16);
	}
	kprintf("cpuid-table: brand \"%s\", %u entries checked, %u failures\n", brand, NR_ENTRIES,
		failures);
	kprintf(failures ? "FAIL\n" : "PASS\n");
	kexit(failures ? 1 : 0);
}
