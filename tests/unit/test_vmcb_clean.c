/*
 * SVM's VMCB clean bits (arch/x86/svm/vmcb_clean.h) against the APM's
 * table of clean-field groups (vol. 2, 15.15.3): every field the backend
 * writes belongs to the group the APM names, or to none if the CPU never
 * caches it; a write marks its group only when it changes the value; a
 * VMRUN gets clean bits only on the CPU that last ran the VMCB, and never
 * for a group written since.
 */
#include <string.h>
#include "arch/x86/svm/svm_msr.h"
#include "arch/x86/svm/vmcb_clean.h"
#include "hv/msr.h"
#include "tests/unit/unit.h"

static uint8_t page[4096] __attribute__((aligned(4096)));
static struct vcpu v;

static void setup(void)
{
	memset(page, 0, sizeof(page));
	memset(&v, 0, sizeof(v));
	v.arch = page;
	vmcb_all_dirty(&v);
}

START_TEST(every_field_is_in_the_apms_group)
{
	static const struct { unsigned off; int group; } fields[] = {
		{ VMCB_INTERCEPT_CR, VMCB_CLEAN_INTERCEPTS }, { VMCB_INTERCEPT_EXC, VMCB_CLEAN_INTERCEPTS },
		{ VMCB_INTERCEPT_VEC3, VMCB_CLEAN_INTERCEPTS }, { VMCB_INTERCEPT_VEC4, VMCB_CLEAN_INTERCEPTS },
		{ 0x050 /* TSC offset */, VMCB_CLEAN_INTERCEPTS },
		{ VMCB_IOPM_BASE, VMCB_CLEAN_IOPM }, { VMCB_MSRPM_BASE, VMCB_CLEAN_IOPM },
		{ VMCB_ASID, VMCB_CLEAN_ASID }, { VMCB_VINTR, VMCB_CLEAN_TPR },
		{ VMCB_NP_ENABLE, VMCB_CLEAN_NP }, { VMCB_NCR3, VMCB_CLEAN_NP }, { VMCB_GPAT, VMCB_CLEAN_NP },
		{ VMCB_CR0, VMCB_CLEAN_CRX }, { VMCB_CR3, VMCB_CLEAN_CRX }, { VMCB_CR4, VMCB_CLEAN_CRX },
		{ VMCB_EFER, VMCB_CLEAN_CRX }, { VMCB_DR6, VMCB_CLEAN_DRX }, { VMCB_DR7, VMCB_CLEAN_DRX },
		{ VMCB_GDTR + 4, VMCB_CLEAN_DT }, { VMCB_GDTR + 8, VMCB_CLEAN_DT },
		{ VMCB_IDTR + 4, VMCB_CLEAN_DT }, { VMCB_IDTR + 8, VMCB_CLEAN_DT },
		{ VMCB_ES, VMCB_CLEAN_SEG }, { VMCB_CS + 2, VMCB_CLEAN_SEG }, { VMCB_SS + 4, VMCB_CLEAN_SEG },
		{ VMCB_DS + 8, VMCB_CLEAN_SEG }, { VMCB_CPL, VMCB_CLEAN_SEG }, { VMCB_CR2, VMCB_CLEAN_CR2 },
		/* AVIC (unused today): APIC_BAR, backing page, logical and
		 * physical table pointers; LBR: DBGCTL to LASTEXCPTO. */
		{ 0x098, VMCB_CLEAN_AVIC }, { 0x0e0, VMCB_CLEAN_AVIC }, { 0x0f0, VMCB_CLEAN_AVIC },
		{ 0x0f8, VMCB_CLEAN_AVIC }, { 0x670, VMCB_CLEAN_LBR }, { 0x690, VMCB_CLEAN_LBR },
		/* Never cached: read at every VMRUN, or switched by VMLOAD. */
		{ VMCB_TLB_CONTROL, -1 }, { VMCB_INT_STATE, -1 }, { VMCB_EVENTINJ, -1 },
		{ VMCB_EXITCODE, -1 }, { VMCB_NRIP, -1 }, { VMCB_CLEAN, -1 }, { VMCB_RFLAGS, -1 },
		{ VMCB_RIP, -1 }, { VMCB_RSP, -1 }, { VMCB_RAX, -1 }, { VMCB_FS, -1 }, { VMCB_GS + 8, -1 },
		{ VMCB_TR, -1 }, { VMCB_LDTR, -1 }, { VMCB_STAR, -1 }, { VMCB_KERNEL_GS_BASE, -1 },
		{ VMCB_SYSENTER_EIP, -1 },
	};
	for (unsigned i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		ck_assert_msg(vmcb_clean_group(fields[i].off) == fields[i].group,
			      "offset 0x%x: group %d, the APM says %d", fields[i].off,
			      vmcb_clean_group(fields[i].off), fields[i].group);
}
END_TEST

START_TEST(only_the_cpu_that_ran_it_last_gets_clean_bits)
{
	ck_assert_uint_eq(vmcb_clean_for_entry(&v, 0), 0);             /* never run */
	ck_assert_uint_eq(vmcb_clean_for_entry(&v, 0), VMCB_CLEAN_ALL);
	ck_assert_uint_eq(vmcb_clean_for_entry(&v, 1), 0);             /* moved */
	ck_assert_uint_eq(vmcb_clean_for_entry(&v, 0), 0);             /* and back */
	ck_assert_uint_eq(vmcb_clean_for_entry(&v, 0), VMCB_CLEAN_ALL);
	vmcb_all_dirty(&v);                                             /* a new state */
	ck_assert_uint_eq(vmcb_clean_for_entry(&v, 0), 0);
}
END_TEST

START_TEST(a_write_clears_its_group_only_if_it_changes_the_value)
{
	vmcb_clean_for_entry(&v, 2);
	uint64_t before = vmcb_field_writes_total();

	vmcb_put64(&v, VMCB_CR0, 0);                     /* unchanged */
	vmcb_put32(&v, VMCB_INTERCEPT_VEC3, 0);
	ck_assert_uint_eq(vmcb_clean_for_entry(&v, 2), VMCB_CLEAN_ALL);
	ck_assert_uint_eq(vmcb_field_writes_total(), before);
	vmcb_put64(&v, VMCB_CR0, 0x80000011);
	vmcb_put32(&v, VMCB_INTERCEPT_VEC3, 1u << 20);
	vmcb_put64(&v, VMCB_RIP, 0x1000);               /* counted, no group */
	vmcb_put16(&v, VMCB_CS, 8);
	vmcb_put8(&v, VMCB_CPL, 3);
	ck_assert_uint_eq(vmcb_field_writes_total(), before + 5);
	ck_assert_uint_eq(vmcb_clean_for_entry(&v, 2),
			  VMCB_CLEAN_ALL & ~(1u << VMCB_CLEAN_CRX | 1u << VMCB_CLEAN_INTERCEPTS |
					     1u << VMCB_CLEAN_SEG));
	ck_assert_uint_eq(*vmcb64(page, VMCB_CR0), 0x80000011);
	ck_assert_uint_eq(vmcb_clean_for_entry(&v, 2), VMCB_CLEAN_ALL);   /* written once */
}
END_TEST

/* A guest's WRMSR of an MSR kept in the VMCB (hv/msr.c's allow list ->
 * svm_msr_set): G_PAT is in the NP group, so a PAT write must clear that
 * bit, or a real AMD CPU keeps running the guest with the G_PAT it cached
 * (its RDMSR says the new value, its memory types are the old). The
 * VMLOAD/VMSAVE MSRs are never cached: no bit. */
START_TEST(a_guest_msr_write_clears_the_group_of_its_vmcb_field)
{
	uint64_t pat = 0x0007040600070406UL, got = 0;

	*vmcb64(page, VMCB_GPAT) = pat;
	vmcb_clean_for_entry(&v, 1);
	vmcb_clean_for_entry(&v, 1);                      /* ran on CPU 1: all cached */
	ck_assert_int_eq(svm_vmcb_msr_set(&v, MSR_IA32_PAT, pat), 0);   /* unchanged */
	ck_assert_int_eq(svm_vmcb_msr_set(&v, MSR_IA32_LSTAR, 0xffffffff81000000UL), 0);
	ck_assert_uint_eq(vmcb_clean_for_entry(&v, 1), VMCB_CLEAN_ALL);
	ck_assert_int_eq(svm_vmcb_msr_set(&v, MSR_IA32_PAT, 0x0007010600070106UL), 0);
	ck_assert_int_eq(svm_vmcb_msr_get(&v, MSR_IA32_PAT, &got), 0);
	ck_assert_uint_eq(got, 0x0007010600070106UL);
	ck_assert_uint_eq(vmcb_clean_for_entry(&v, 1), VMCB_CLEAN_ALL & ~(1u << VMCB_CLEAN_NP));
	ck_assert_int_eq(svm_vmcb_msr_set(&v, MSR_IA32_EFER, 0), -ENOENT);   /* svm_cr.c's */
}
END_TEST

Suite *vmcb_clean_suite(void)
{
	Suite *s = suite_create("vmcb_clean");
	TCase *tc = tcase_create("APM clean bits");

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, every_field_is_in_the_apms_group);
	tcase_add_test(tc, only_the_cpu_that_ran_it_last_gets_clean_bits);
	tcase_add_test(tc, a_write_clears_its_group_only_if_it_changes_the_value);
	tcase_add_test(tc, a_guest_msr_write_clears_the_group_of_its_vmcb_field);
	suite_add_tcase(s, tc);
	return s;
}
