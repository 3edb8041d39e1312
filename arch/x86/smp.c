#include <sealvisor/errno.h>
#include "arch/x86/acpi.h"
#include "arch/x86/apic.h"
#include "arch/x86/desc.h"
#include "arch/x86/percpu.h"
#include "arch/x86/smp.h"
#include "arch/x86/trap.h"
#include "arch/x86/x86.h"
#include "hv/cpu_work.h"
#include "hv/log.h"
#include "lib/errno_name.h"
#include "lib/string.h"
#include "hv/virt.h"
#include "mm/heap.h"
#include "mm/pmm.h"

#define PARAMS_OFFSET 0xf00
#define AP_STACK_ORDER 3          /* 32 KiB */
#define START_TIMEOUT_TSC 400000000UL
#define START_PATIENCE_MS 10000   /* after the second SIPI */

/* Shared with arch/x86/ap_trampoline.asm (offsets from PARAMS there). */
struct __attribute__((packed)) ap_params {
	uint64_t gdt[4];              /* null, code32, data, code64 */
	uint16_t gdtr_limit;          /* 0x20 */
	uint32_t gdtr_base;
	uint16_t pad0;
	uint32_t far32_off;           /* 0x28 */
	uint16_t far32_sel;
	uint16_t pad1;
	uint32_t far64_off;           /* 0x30 */
	uint16_t far64_sel;
	uint16_t pad2;
	uint32_t cr3;                 /* 0x38 */
	uint32_t pad3;
	uint64_t entry, stack, arg;   /* 0x40, 0x48, 0x50 */
};
_Static_assert(__builtin_offsetof(struct ap_params, entry) == 0x40, "ap_params layout");

extern const uint8_t ap_trampoline[], ap_trampoline_pm32[], ap_trampoline_lm64[],
	ap_trampoline_end[];

/* CPUs that came up, counted as they report in during smp_start_aps (the
 * hypervisor's count is hv_nr_cpus, set from what this returns). */
static unsigned nr_cpus_online;

static void tsc_delay(uint64_t cycles)
{
	uint64_t start = __builtin_ia32_rdtsc();

	while (__builtin_ia32_rdtsc() - start < cycles)
		cpu_relax();
}

static void ap_entry(struct percpu *p)
{
	desc_init_cpu(p, p->desc);
	trap_load_idt();
	apic_enable();
	int err = virt->hardware_enable();
	if (err) {
		log_err("smp: CPU %u (APIC %u): %s cannot be enabled: %s (%d)\n", p->id,
			p->apic_id, virt->name, errno_name(err), err);
		halt_forever();
	}
	__atomic_add_fetch(&nr_cpus_online, 1, __ATOMIC_SEQ_CST);
	__atomic_store_n(&p->online, true, __ATOMIC_RELEASE);
	hv_cpu_main(p->id);
}

static void fill_params(uint64_t page, struct percpu *p, uint64_t stack_top)
{
	struct ap_params *ap = phys_to_virt(page + PARAMS_OFFSET);

	memcpy(phys_to_virt(page), ap_trampoline, ap_trampoline_end - ap_trampoline);
	*ap = (struct ap_params){
		.gdt = { 0, 0x00cf9a000000ffffUL, 0x00cf92000000ffffUL, 0x00af9a000000ffffUL },
		.gdtr_limit = sizeof(ap->gdt) - 1,
		.gdtr_base = (uint32_t)(page + PARAMS_OFFSET),
		.far32_off = (uint32_t)(page + (ap_trampoline_pm32 - ap_trampoline)),
		.far32_sel = 0x08,
		.far64_off = (uint32_t)(page + (ap_trampoline_lm64 - ap_trampoline)),
		.far64_sel = 0x18,
		.cr3 = (uint32_t)read_cr3(),
		.entry = (uint64_t)ap_entry,
		.stack = stack_top,
		.arg = (uint64_t)p,
	};
}

static struct percpu *new_cpu(unsigned id, uint32_t apic)
{
	struct percpu *p = kmalloc(sizeof(*p));
	unsigned desc_order = 0;

	while ((PAGE_SIZE << desc_order) < desc_size())
		desc_order++;
	uint64_t desc = pmm_alloc(desc_order, OWNER_HV, 0);
	uint64_t stack = pmm_alloc(AP_STACK_ORDER, OWNER_HV, 0);
	if (!p || !desc || !stack)
		return NULL;   /* boot-time: the memory stays with the hypervisor */
	p->id = id;
	p->apic_id = apic;
	p->desc = phys_to_virt(desc);
	p->stack_lo = (uint64_t)phys_to_virt(stack);
	p->stack_hi = p->stack_lo + (PAGE_SIZE << AP_STACK_ORDER);
	return p;
}

/* The INIT-SIPI-SIPI sequence with the waits the SDM asks for (10 ms
 * after INIT; at least 200 us after the first SIPI: here up to 200 ms,
 * ended early when the AP comes up), then patience: an emulator
 * under load may not schedule the new CPU's thread for seconds, and a CPU
 * given up on is a smaller machine for the whole run. `ms` is TSC cycles
 * per millisecond (the firmware's measure; 0: unknown). */
static bool start_one(uint64_t page, struct percpu *p, uint64_t ms)
{
	uint64_t wait[2] = { ms ? 200 * ms : START_TIMEOUT_TSC / 2,
			     ms ? START_PATIENCE_MS * ms : 10 * START_TIMEOUT_TSC };

	fill_params(page, p, p->stack_hi);
	if (apic_send_init(p->apic_id))
		return false;
	tsc_delay(ms ? 10 * ms : START_TIMEOUT_TSC / 40);
	for (int sipi = 0; sipi < 2 && !p->online; sipi++) {
		if (apic_send_sipi(p->apic_id, (uint8_t)(page >> PAGE_SHIFT)))
			return false;
		uint64_t start = __builtin_ia32_rdtsc();
		while (!__atomic_load_n(&p->online, __ATOMIC_ACQUIRE) &&
		       __builtin_ia32_rdtsc() - start < wait[sipi])
			cpu_relax();
	}
	return p->online;
}

/* The CPU list: the MADT's where the firmware has ACPI, else the one EFI
 * MP Services gave boot/ (Bochs's OVMF has no ACPI tables). */
static const struct boot_cpu *cpu_list(const struct boot_info *bi, size_t *n)
{
	static struct boot_cpu madt[HV_MAX_CPUS];
	int found = bi->acpi_rsdp ? acpi_madt_cpus(bi->acpi_rsdp, madt, HV_MAX_CPUS) : -1;

	if (found > 0) {
		*n = (size_t)found;
		log_debug("smp: %d CPUs listed in the MADT\n", found);
		return madt;
	}
	*n = bi->nr_cpus;
	return bi->cpus;
}

unsigned smp_start_aps(const struct boot_info *bi)
{
	uint32_t self = apic_id();
	unsigned next_id = 1;
	size_t nr;
	const struct boot_cpu *list = cpu_list(bi, &nr);

	this_cpu()->apic_id = self;
	__atomic_store_n(&nr_cpus_online, 1, __ATOMIC_SEQ_CST);
	if (!bi->ap_trampoline || read_cr3() >= (1UL << 32)) {
		if (nr > 1)
			log_warn("smp: cannot start other CPUs (trampoline 0x%lx, cr3 0x%lx)\n",
				 bi->ap_trampoline, read_cr3());
		return 1;
	}
	for (size_t i = 0; i < nr && next_id < HV_MAX_CPUS; i++) {
		const struct boot_cpu *c = &list[i];
		if (!c->enabled || c->apic_id == self)
			continue;
		struct percpu *p = new_cpu(next_id, c->apic_id);
		if (!p) {
			log_err("smp: no memory for CPU with APIC id %u: left out\n", c->apic_id);
			continue;
		}
		if (start_one(bi->ap_trampoline, p, bi->tsc_per_ms))
			next_id++;
		else
			log_err("smp: CPU with APIC id %u did not start: left out\n", c->apic_id);
	}
	return __atomic_load_n(&nr_cpus_online, __ATOMIC_SEQ_CST);
}
