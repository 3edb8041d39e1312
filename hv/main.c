/* hv_main: take over the CPU and memory, report what we have, run. */
#include <sealvisor/errno.h>
#include "arch/x86/apic.h"
#include "arch/x86/cpu_features.h"
#include "arch/x86/desc.h"
#include "arch/x86/percpu.h"
#include "arch/x86/paging.h"
#include "arch/x86/shutdown.h"
#include "arch/x86/smp.h"
#include "arch/x86/trap.h"
#include "hv/attest.h"
#include "hv/control.h"
#include "hv/cpu_work.h"
#include "hv/hv.h"
#include "hv/hypercall.h"
#include "version.h"
#include "hv/log.h"
#include "hv/selftest.h"
#include "hv/shutdown.h"
#include "hv/virt.h"
#include "hv/clock.h"
#include "hv/watchdog.h"
#include "lib/errno_name.h"
#include "mm/heap.h"
#include "mm/mem_map.h"
#include "mm/pmm.h"

static void take_memory(struct boot_info *bi, struct mem_summary *sum)
{
	int err = mem_map_init(bi->regions, bi->nr_regions, sum);
	if (err)
		panic("memory map unusable for the page allocator: %s (%d)", errno_name(err), err);
	/* Firmware tables and stack live in boot-services memory: replace them
	 * before that memory is handed to the allocator. */
	err = paging_init(bi->regions, bi->nr_regions, bi->ap_trampoline);
	if (err)
		panic("cannot build the hypervisor page tables: %s (%d)", errno_name(err), err);
	err = mem_map_reclaim_boot(bi->regions, bi->nr_regions, sum);
	if (err)
		panic("cannot reclaim boot-services memory: %s (%d)", errno_name(err), err);
	heap_init();
}

static void print_banner(const struct boot_info *bi, const struct mem_summary *sum)
{
	char virt_desc[160];
	size_t online = 0;

	for (size_t i = 0; i < bi->nr_cpus; i++)
		online += bi->cpus[i].enabled;
	cpu_features_describe(virt_desc, sizeof(virt_desc));
	console_printf("\n== sealvisor %s: a type-1 hypervisor for confidential-VM memory isolation ==\n",
		       SEALVISOR_VERSION);
	console_printf("memory: total %lu MiB, usable %lu MiB, free %lu MiB (metadata %lu KiB)\n",
		       sum->total_pages >> 8, sum->usable_pages >> 8, pmm_free_pages() >> 8,
		       sum->meta_pages * 4);
	console_printf("cpus: %zu (%zu enabled), vendor %s\n", bi->nr_cpus, online,
		       cpu_features.vendor);
	console_printf("virtualization: %s\n", virt_desc);
	console_printf("clock: TSC %lu kHz (measured against the firmware)\n", bi->tsc_per_ms);
	console_printf("acpi: %s\n", bi->acpi_rsdp ? "RSDP found" : "no tables");
	console_printf("image: loaded at 0x%lx, %lu KiB\n", bi->image_base, bi->image_size >> 10);
}

static void debug_fault(int kind)
{
	volatile uint64_t zero = 0;

	log_info("debug.fault is set: faulting on purpose to show the exception dump\n");
	switch (kind) {
	case DEBUG_FAULT_UD2: __asm__ volatile("ud2"); break;
	case DEBUG_FAULT_PF: (void)*(volatile uint64_t *)zero; break;
	case DEBUG_FAULT_GP: (void)*(volatile uint64_t *)0x8000000000000000UL; break;
	case DEBUG_FAULT_DE: __asm__ volatile("divq %0" : : "r"(zero) : "rax", "rdx"); break;
	case DEBUG_FAULT_BP: __asm__ volatile("int3"); break;
	case DEBUG_FAULT_GS0: arch_debug_fault_gs0(); break;
	}
	panic("debug.fault %d did not fault", kind);
}

void hv_main(struct boot_info *bi)
{
	static struct percpu boot_cpu;
	struct mem_summary sum;

	desc_init_cpu(&boot_cpu, NULL);
	trap_init();
	shutdown_init(bi->firmware_poweroff, bi->acpi_rsdp);
	take_memory(bi, &sum);
	cpu_features_detect();
	print_banner(bi, &sum);

	if (bi->config.debug_fault != DEBUG_FAULT_NONE)
		debug_fault(bi->config.debug_fault);
	if (arch_virt_select() || virt->hardware_enable()) {
		log_err("virtualization cannot be enabled on this CPU\n");
		arch_shutdown(SV_EXIT_BOOT);
	}
	log_info("%s enabled on the boot CPU\n", virt->name);
	apic_init();
	hv_nr_cpus = smp_start_aps(bi);
	log_info("smp: %u of %zu CPUs online\n", hv_nr_cpus, bi->nr_cpus);
	if (bi->config.selftest && selftest_allocator() != 0)
		arch_shutdown(SV_EXIT_FAIL);
	hypercall_audit = bi->config.audit;
	hypercall_audit_every = bi->config.audit_every;
	clock_init(bi->tsc_per_ms);
	apic_timer_calibrate(bi->tsc_per_ms);
	watchdog_init(bi->config.watchdog_s);
	attest_boot();
	int err = control_start(bi);
	if (err == -ENOENT) {
		log_info("no control partition configured: nothing more to run\n");
		arch_shutdown(SV_EXIT_OK);
	}
	if (err == -ENOMEM) {
		/* Too little RAM is the machine's limit, not a bad config. */
		log_err("not enough memory: the control partition's %lu MiB could not be "
			"allocated from the %lu MiB free: give the machine more RAM (the README "
			"says how much)\n",
			CONTROL_RAM >> 20, pmm_free_pages() >> 8);
		arch_shutdown(SV_EXIT_BOOT);
	}
	log_err("control partition failed to start: %s (%d)\n", errno_name(err), err);
	arch_shutdown(SV_EXIT_CONFIG);
}
