/* Shared helpers for the host unit tests (Check). */
#ifndef TESTS_UNIT_H
#define TESTS_UNIT_H

#include <check.h>
#include <stddef.h>
#include <stdint.h>

Suite *fmt_suite(void);
Suite *vmcs_cache_suite(void);
Suite *vmcb_clean_suite(void);
Suite *config_suite(void);
Suite *pmm_suite(void);
Suite *mem_map_suite(void);
Suite *heap_suite(void);
Suite *memobj_suite(void);
Suite *memobj_model_suite(void);
Suite *memobj_smp_suite(void);
Suite *stage2_suite(void);
Suite *sha256_suite(void);
Suite *entry_model_suite(void);
Suite *vm_suite(void);
Suite *shootdown_suite(void);
Suite *reclaim_suite(void);
Suite *zero_suite(void);
Suite *isolation_suite(void);
Suite *rules_suite(void);
Suite *measure_suite(void);
Suite *races_suite(void);
Suite *edges_suite(void);
Suite *regs_suite(void);
Suite *xstate_suite(void);
Suite *modes_suite(void);
Suite *msr_suite(void);
Suite *events_suite(void);
Suite *nmi_suite(void);
Suite *vlapic_suite(void);
Suite *mp_suite(void);
Suite *multiboot_suite(void);
Suite *linux_boot_suite(void);
Suite *vm_config_suite(void);
Suite *timer_suite(void);
Suite *uart_suite(void);
Suite *pic_suite(void);
Suite *pit_suite(void);
Suite *rtc_suite(void);
Suite *ioapic_suite(void);
Suite *acpi_suite(void);
Suite *pc_suite(void);
Suite *insn_decode_suite(void);
Suite *vlapic_xapic_suite(void);
Suite *memattr_suite(void);
Suite *attest_suite(void);

/*
 * A fake "physical memory" of `bytes` bytes, mmap'd, with phys_virt_offset
 * pointing at it so mm/ code runs unmodified. Physical addresses start at
 * `base` (page aligned, may be unaligned to big blocks on purpose).
 * arena_pmm() also initialises the page allocator over [base+PAGE, end).
 */
void arena_map(uint64_t base, size_t bytes);
void arena_pmm(uint64_t base, size_t bytes);
void arena_unmap(void);

struct vm;
/* hv/ tests (tests/unit/hv_fixture.c): a fresh arena of `bytes`, no VMs,
 * every CPU out of guest mode, the fake backend reset, this thread CPU 0. */
void unit_machine(size_t bytes);
/* Hypercall nr with five arguments, as `caller` makes it. */
int64_t unit_hc(struct vm *caller, uint64_t nr, uint64_t a, uint64_t b, uint64_t c, uint64_t d,
		uint64_t e);

#endif
