/* The hypervisor's own GDT and TSS (with IST stacks), replacing the firmware's. */
#include <stdint.h>
#include "arch/x86/desc.h"
#include "hv/string.h"

#define STACK_SIZE (16 * 1024)
#include "hv/hv.h"

struct __attribute__((packed)) tss {
	uint32_t reserved0;
	uint64_t rsp[3];
	uint64_t reserved1;
	uint64_t ist[7];
	uint64_t reserved2;
	uint16_t reserved3;
	uint16_t iomap_base;
};

struct __attribute__((packed)) gdtr {
	uint16_t limit;
	uint64_t base;
};

/* null, code64, data, TSS (two slots) */
static uint64_t gdt[5] __attribute__((aligned(16)));
static struct tss tss __attribute__((aligned(16)));
static uint8_t ist_stacks[3][STACK_SIZE] __attribute__((aligned(16)));
uint8_t boot_stack[BOOT_STACK_SIZE] __attribute__((aligned(16)));

void gdt_load(const struct gdtr *gdtr, uint16_t cs, uint16_t ds);

static void set_tss_descriptor(uint64_t *slot, const struct tss *t)
{
	uint64_t base = (uint64_t)t, limit = sizeof(*t) - 1;

	slot[0] = (limit & 0xffff) | ((base & 0xffffff) << 16) |
		  (0x89UL << 40) |                 /* present, 64-bit TSS available */
		  (((limit >> 16) & 0xf) << 48) | (((base >> 24) & 0xff) << 56);
	slot[1] = base >> 32;
}

void desc_init_boot_cpu(void)
{
	struct gdtr gdtr = { sizeof(gdt) - 1, (uint64_t)gdt };

	gdt[0] = 0;
	gdt[1] = 0x00af9a000000ffffUL;   /* 64-bit code, DPL 0 */
	gdt[2] = 0x00cf92000000ffffUL;   /* data, DPL 0 */
	memset(&tss, 0, sizeof(tss));
	tss.ist[IST_DF - 1] = (uint64_t)ist_stacks[0] + STACK_SIZE;
	tss.ist[IST_NMI - 1] = (uint64_t)ist_stacks[1] + STACK_SIZE;
	tss.ist[IST_MC - 1] = (uint64_t)ist_stacks[2] + STACK_SIZE;
	tss.iomap_base = sizeof(tss);    /* no I/O bitmap */
	set_tss_descriptor(&gdt[3], &tss);
	gdt_load(&gdtr, SEL_CODE64, SEL_DATA);
	__asm__ volatile("ltr %w0" : : "r"(SEL_TSS));
}

int arch_on_known_stack(uint64_t addr)
{
	uint64_t b = (uint64_t)boot_stack, i = (uint64_t)ist_stacks;

	return (addr >= b && addr + 8 <= b + sizeof(boot_stack)) ||
	       (addr >= i && addr + 8 <= i + sizeof(ist_stacks));
}

uint64_t desc_tss_base(void)
{
	return (uint64_t)&tss;
}
