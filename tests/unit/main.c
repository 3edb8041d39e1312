#include <stdlib.h>
#include "tests/unit/unit.h"

int main(void)
{
	SRunner *sr = srunner_create(fmt_suite());

	srunner_add_suite(sr, config_suite());
	srunner_add_suite(sr, pmm_suite());
	srunner_add_suite(sr, mem_map_suite());
	srunner_add_suite(sr, heap_suite());
	srunner_add_suite(sr, memobj_suite());
	srunner_add_suite(sr, memobj_model_suite());
	srunner_add_suite(sr, memobj_smp_suite());
	srunner_add_suite(sr, stage2_suite());
	srunner_add_suite(sr, sha256_suite());
	srunner_add_suite(sr, entry_model_suite());
	srunner_add_suite(sr, vm_suite());
	srunner_add_suite(sr, shootdown_suite());
	srunner_add_suite(sr, reclaim_suite());
	srunner_add_suite(sr, zero_suite());
	srunner_add_suite(sr, isolation_suite());
	srunner_add_suite(sr, rules_suite());
	srunner_add_suite(sr, vmcs_cache_suite());
	srunner_add_suite(sr, vmcb_clean_suite());
	srunner_add_suite(sr, measure_suite());
	srunner_add_suite(sr, races_suite());
	srunner_add_suite(sr, edges_suite());
	srunner_add_suite(sr, regs_suite());
	srunner_add_suite(sr, xstate_suite());
	srunner_add_suite(sr, modes_suite());
	srunner_add_suite(sr, msr_suite());
	srunner_add_suite(sr, events_suite());
	srunner_add_suite(sr, nmi_suite());
	srunner_add_suite(sr, vlapic_suite());
	srunner_add_suite(sr, mp_suite());
	srunner_add_suite(sr, multiboot_suite());
	srunner_add_suite(sr, linux_boot_suite());
	srunner_add_suite(sr, vm_config_suite());
	srunner_add_suite(sr, timer_suite());
	srunner_add_suite(sr, uart_suite());
	srunner_add_suite(sr, pic_suite());
	srunner_add_suite(sr, pit_suite());
	srunner_add_suite(sr, rtc_suite());
	srunner_add_suite(sr, ioapic_suite());
	srunner_add_suite(sr, acpi_suite());
	srunner_add_suite(sr, pc_suite());
	srunner_add_suite(sr, insn_decode_suite());
	srunner_add_suite(sr, vlapic_xapic_suite());
	srunner_add_suite(sr, memattr_suite());
	srunner_add_suite(sr, attest_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
