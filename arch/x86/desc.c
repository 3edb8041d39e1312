/* Each CPU's own GDT and TSS (with IST stacks), replacing the firmware's. */
#include <stdint.h>
#include "arch/x86/desc.h"
#include "arch/x86/percpu.h"
#include "hv/hv.h"
#include "lib/string.h"

#define IST_SIZE (16 * 1024)

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

struct cpu_desc {
	uint64_t gdt[5];                 /* null, code64, data, TSS (two slots) */
	struct tss tss __attribute__((aligned(16)));
	uint8_t ist[3][IST_SIZE] __attribute__((aligned(16)));
};

static struct cpu_desc boot_desc __attribute__((aligned(4096)));
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

size_t desc_size(void)
{
	return sizeof(struct cpu_desc);
}

void desc_init_cpu(struct percpu *p, void *mem)
{
	struct cpu_desc *d = mem ? mem : &boot_desc;
	struct gdtr gdtr = { sizeof(d->gdt) - 1, (uint64_t)d->gdt };

	memset(d, 0, sizeof(*d));
	d->gdt[1] = 0x00af9a000000ffffUL;   /* 64-bit code, DPL 0 */
	d->gdt[2] = 0x00cf92000000ffffUL;   /* data, DPL 0 */
	d->tss.ist[IST_DF - 1] = (uint64_t)d->ist[0] + IST_SIZE;
	d->tss.ist[IST_NMI - 1] = (uint64_t)d->ist[1] + IST_SIZE;
	d->tss.ist[IST_MC - 1] = (uint64_t)d->ist[2] + IST_SIZE;
	d->tss.iomap_base = sizeof(d->tss);    /* no I/O bitmap */
	set_tss_descriptor(&d->gdt[3], &d->tss);
	gdt_load(&gdtr, SEL_CODE64, SEL_DATA);  /* clears GS: install per-CPU after */
	__asm__ volatile("ltr %w0" : : "r"(SEL_TSS));
	p->desc = d;
	if (!mem) {
		p->stack_lo = (uint64_t)boot_stack;
		p->stack_hi = (uint64_t)boot_stack + BOOT_STACK_SIZE;
	}
	percpu_install(p);
}

/* Not this_cpu(): a dump may run with a broken GS base (an SVM exit once
 * VMLOADed a host save area holding 0), and reading gs:0 there faulted
 * again and again until the stack ran out. Any CPU's stack will do for a
 * backtrace; cpus[] is reached without GS. */
static int on_cpu_stacks(const struct percpu *p, uint64_t addr)
{
	const struct cpu_desc *d = p->desc;

	if (addr >= p->stack_lo && addr + 8 <= p->stack_hi)
		return 1;
	if (!d)
		return 0;
	uint64_t i = (uint64_t)d->ist;
	return addr >= i && addr + 8 <= i + sizeof(d->ist);
}

int arch_on_known_stack(uint64_t addr)
{
	for (unsigned c = 0; c < HV_MAX_CPUS; c++)
		if (cpus[c] && on_cpu_stacks(cpus[c], addr))
			return 1;
	return 0;
}

uint64_t desc_tss_base(void)
{
	return (uint64_t)&((struct cpu_desc *)this_cpu()->desc)->tss;
}
