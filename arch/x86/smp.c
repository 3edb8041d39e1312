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
	uint32_t apic_low8;           /* 0x58: the CPU these are for (CPUID.1 EBX[31:24]) */
	uint32_t claim;               /* 0x5c: AP_CLAIM_* */
};
_Static_assert(__builtin_offsetof(struct ap_params, entry) == 0x40, "ap_params layout");
_Static_assert(__builtin_offsetof(struct ap_params, claim) == 0x5c, "ap_params layout");

/*
 * One trampoline page serves every AP in turn, so an AP the boot CPU gave
 * up on must never run on the parameters (the stack) of the next one. The
 * trampoline takes the parameters only if they name its APIC id and it
 * wins claim OPEN -> TAKEN; otherwise it parks (cli; hlt). A boot CPU that
 * gives up wins OPEN -> GIVEN_UP first, or, if the AP took them, races it on
 * percpu.start: ap_entry's first act is STARTING -> RUNNING, before any
 * side effect (its percpu_install writes cpus[id], which the next CPU may
 * own); the boot CPU's is STARTING -> ABANDONED. An abandoned AP halts
 * there; a running one is waited for until it is ONLINE or FAILED. Either
 * way a CPU given up on is sent INIT before the page is rewritten, so it
 * stops wherever it is (it holds nothing yet) and waits for a SIPI that
 * never comes: the claims only back that up.
 */
enum { AP_CLAIM_OPEN = 0, AP_CLAIM_TAKEN = 1, AP_CLAIM_GIVEN_UP = 2 };
enum { AP_STARTING = 0, AP_RUNNING, AP_ONLINE, AP_FAILED, AP_ABANDONED };

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
	int starting = AP_STARTING;
	if (!__atomic_compare_exchange_n(&p->start, &starting, AP_RUNNING, false, __ATOMIC_SEQ_CST,
					 __ATOMIC_SEQ_CST))
		halt_forever();   /* given up on: its id may be someone else's now */
	desc_init_cpu(p, p->desc);
	trap_load_idt();
	apic_enable();
	int err = virt->hardware_enable();
	if (err) {
		log_err("smp: CPU %u (APIC %u): %s cannot be enabled: %s (%d)\n", p->id,
			p->apic_id, virt->name, errno_name(err), err);
		__atomic_store_n(&p->start, AP_FAILED, __ATOMIC_RELEASE);
		halt_forever();
	}
	__atomic_add_fetch(&nr_cpus_online, 1, __ATOMIC_SEQ_CST);
	__atomic_store_n(&p->start, AP_ONLINE, __ATOMIC_RELEASE);
	log_info("smp: CPU %u (APIC id %u) is up\n", p->id, p->apic_id);
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
		.apic_low8 = p->apic_id & 0xff,
		.claim = AP_CLAIM_GIVEN_UP,
	};
	__atomic_store_n(&ap->claim, AP_CLAIM_OPEN, __ATOMIC_RELEASE);   /* last: the rest is there */
}

/* After the waits: false if the AP will never run as this CPU. */
static bool give_up(uint64_t page, struct percpu *p, uint64_t patience)
{
	struct ap_params *ap = phys_to_virt(page + PARAMS_OFFSET);
	uint32_t open = AP_CLAIM_OPEN;

	if (__atomic_compare_exchange_n(&ap->claim, &open, AP_CLAIM_GIVEN_UP, false, __ATOMIC_SEQ_CST,
					__ATOMIC_SEQ_CST)) {
		__atomic_store_n(&p->start, AP_ABANDONED, __ATOMIC_SEQ_CST);
		if (apic_send_init(p->apic_id))   /* back to waiting for a SIPI */
			log_warn("smp: INIT to APIC id %u not delivered\n", p->apic_id);
		return false;
	}
	/* It took its parameters: it is on its own stack, and comes up now. */
	uint64_t start = __builtin_ia32_rdtsc();
	while (__atomic_load_n(&p->start, __ATOMIC_ACQUIRE) == AP_STARTING &&
	       __builtin_ia32_rdtsc() - start < patience)
		cpu_relax();
	int state = AP_STARTING;
	if (__atomic_compare_exchange_n(&p->start, &state, AP_ABANDONED, false, __ATOMIC_SEQ_CST,
					__ATOMIC_SEQ_CST)) {
		/* It may still be reading the parameters, which the next CPU's
		 * will overwrite: INIT stops it first (it holds nothing yet). */
		if (apic_send_init(p->apic_id))
			log_warn("smp: INIT to APIC id %u not delivered\n", p->apic_id);
		return false;
	}
	/* Running our code, which ends in bounded time: wait for its end. */
	while ((state = __atomic_load_n(&p->start, __ATOMIC_ACQUIRE)) == AP_RUNNING)
		cpu_relax();
	return state == AP_ONLINE;
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
static bool start_one(uint64_t page, struct percpu *p, uint64_t ms, bool give_up_at_once)
{
	uint64_t wait[2] = { ms ? 200 * ms : START_TIMEOUT_TSC / 2,
			     ms ? START_PATIENCE_MS * ms : 10 * START_TIMEOUT_TSC };

	if (give_up_at_once)
		wait[0] = wait[1] = 0;
	p->start = AP_STARTING;
	fill_params(page, p, p->stack_hi);
	if (apic_send_init(p->apic_id))
		return give_up(page, p, wait[1]);
	tsc_delay(ms ? 10 * ms : START_TIMEOUT_TSC / 40);
	for (int sipi = 0; sipi < 2; sipi++) {
		if (apic_send_sipi(p->apic_id, (uint8_t)(page >> PAGE_SHIFT)))
			break;
		uint64_t start = __builtin_ia32_rdtsc();
		while (__atomic_load_n(&p->start, __ATOMIC_ACQUIRE) == AP_STARTING &&
		       __builtin_ia32_rdtsc() - start < wait[sipi])
			cpu_relax();
		if (__atomic_load_n(&p->start, __ATOMIC_ACQUIRE) != AP_STARTING)
			break;   /* it runs: give_up waits for its end */
		if (give_up_at_once)
			break;
	}
	return give_up(page, p, wait[1]);
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
		/* xAPIC IPIs carry 8 destination bits and the trampoline checks
		 * CPUID.1's 8-bit id: a larger id would alias another CPU's. */
		if (c->apic_id > 0xfe) {
			log_err("smp: CPU with APIC id %u: beyond xAPIC's 8-bit ids: left out\n",
				c->apic_id);
			continue;
		}
		struct percpu *p = new_cpu(next_id, c->apic_id);
		if (!p) {
			log_err("smp: no memory for CPU with APIC id %u: left out\n", c->apic_id);
			continue;
		}
		if (start_one(bi->ap_trampoline, p, bi->tsc_per_ms,
			      bi->config.debug_ap_start == DEBUG_AP_START_GIVE_UP))
			next_id++;
		else
			log_err("smp: CPU with APIC id %u did not start: left out\n", c->apic_id);
	}
	return __atomic_load_n(&nr_cpus_online, __ATOMIC_SEQ_CST);
}
