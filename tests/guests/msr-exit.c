/*
 * msr-exit: under SV_MSR_POLICY_EXIT (its ELF note asks the VMM for it),
 * MSRs off the allow list reach the VMM as SV_EXIT_MSR with the right
 * index and value; the VMM's answer is what RDMSR returns, and its
 * refusal is #GP(0) at the instruction. Allowed MSRs stay the
 * hypervisor's: the VMM never sees them (it fails the guest if it does).
 * The demo VMM answers a read of MSR i with 0x5ea1 << 48 | i, refuses
 * 0x1235, and checks that a write of 0x1234 carries 0x0123456789abcdef.
 */
#include "guest/lib/kernel.h"
#include "guest/lib/trap.h"

KERNEL_MSR_POLICY(SV_MSR_POLICY_EXIT);

static unsigned failed, checked;

#define fail(fmt, ...) (failed++, kprintf("msr-exit: FAIL " fmt "\n", __VA_ARGS__))


static void expect_read(uint32_t index, uint64_t want)
{
	struct msr_access a = { index, 0 };
	struct trap t;

	checked++;
	if (trap_catch(trap_rdmsr, &a, &t))
		fail("RDMSR 0x%x: vector %lu", index, t.vector);
	else if (a.value != want)
		fail("RDMSR 0x%x gave 0x%lx, expected 0x%lx", index, a.value, want);
	else
		kprintf("msr-exit: RDMSR 0x%x gave 0x%lx from the VMM\n", index, a.value);
}

static void expect_gp(bool write, uint32_t index)
{
	struct msr_access a = { index, 0 };
	struct trap t;

	checked++;
	if (!trap_catch(write ? trap_wrmsr : trap_rdmsr, &a, &t))
		fail("%s 0x%x: no fault, expected #GP(0)", write ? "WRMSR" : "RDMSR", index);
	else if (t.vector != 13 || t.error != 0)
		fail("%s 0x%x: vector %lu error 0x%lx, expected #GP(0)", write ? "WRMSR" : "RDMSR",
		     index, t.vector, t.error);
	else
		kprintf("msr-exit: %s 0x%x refused by the VMM: #GP(0)\n", write ? "WRMSR" : "RDMSR",
			index);
}

__attribute__((section(".text.start"))) void _start(void)
{
	struct msr_access a;
	struct trap t;

	trap_init();
	expect_read(0x1234, 0x5ea1000000001234UL);
	expect_read(0x1a0, 0x5ea10000000001a0UL);      /* MISC_ENABLE (APIC_BASE and x2APIC MSRs are the vlapic's) */
	expect_read(0xc0011234, 0x5ea10000c0011234UL);
	expect_gp(false, 0x1235);
	expect_gp(true, 0x1235);
	a = (struct msr_access){ 0x1234, 0x0123456789abcdefUL };
	checked++;
	if (trap_catch(trap_wrmsr, &a, &t))
		fail("WRMSR 0x1234: vector %lu", t.vector);
	/* Allowed: the hypervisor's, never the VMM's. */
	a = (struct msr_access){ 0xc0000082, 0xffffffff81000000UL };
	checked++;
	if (trap_catch(trap_wrmsr, &a, &t) || trap_catch(trap_rdmsr, &a, &t) ||
	    a.value != 0xffffffff81000000UL)
		fail("LSTAR round trip: 0x%lx", a.value);
	kprintf("msr-exit: %u checks, %u failed\n", checked, failed);
	kprintf(failed ? "FAIL\n" : "PASS\n");
	kexit(failed ? 1 : 0);
}
