/* x2apic: the guest's virtual local APIC through its x2APIC MSRs: identity
 * and #GP rules, self IPIs under TPR/ISR priority and EOI, the timer in
 * one-shot, periodic and TSC-deadline modes waking a halted vCPU, a fixed
 * IPI from vCPU 0 to vCPU 1, and #GP for what is not modelled (SMI and
 * ExtINT delivery). */
#include "guest/lib/irq.h"
#include "guest/lib/kernel.h"
#include "guest/lib/trap.h"
#include "guest/lib/cpu.h"

KERNEL_VCPUS(2);

#define APIC_ID 0x802
#define APIC_VERSION 0x803
#define APIC_TPR 0x808
#define APIC_PPR 0x80a
#define APIC_EOI 0x80b
#define APIC_LDR 0x80d
#define APIC_SVR 0x80f
#define APIC_ICR 0x830
#define APIC_LVT_TIMER 0x832
#define APIC_TIMER_ICR 0x838
#define APIC_TIMER_CCR 0x839
#define APIC_TIMER_DCR 0x83e
#define APIC_SELF_IPI 0x83f
#define TSC_DEADLINE 0x6e0
#define APIC_BASE 0x1b
#define APIC_BASE_X2APIC (1u << 10 | 1u << 11)   /* EXTD | EN */

static unsigned failed, checked;
static volatile int vcpu1_ready, vcpu1_got;

static void check(int ok, const char *what)
{
	checked++;
	if (!ok)
		failed++;
	kprintf("x2apic: %s: %s\n", what, ok ? "ok" : "FAILED");
}

/* An access that must raise #GP. */
static void expect_gp(const char *what, uint32_t msr, int write, uint64_t val)
{
	struct msr_access m = { msr, val };
	struct trap t = { 0 };
	check(trap_catch(write ? trap_wrmsr : trap_rdmsr, &m, &t) && t.vector == 13 &&
	      t.error == 0, what);
}

static void window(void)
{
	__asm__ volatile("sti; nop; cli" ::: "memory");
}

static void vcpu1(void)
{
	irq_x2apic_on();
	wrmsr(APIC_SVR, 0x1ff);
	vcpu1_ready = 1;
	while (!irq_count(0x70))
		irq_sti_hlt();          /* sleeps in the hypervisor until the IPI */
	wrmsr(APIC_EOI, 0);
	vcpu1_got = (int)irq_count(0x70);
	kpark();
}

static void timers(void)
{
	wrmsr(APIC_TIMER_DCR, 0xb);                       /* divide by 1 */
	wrmsr(APIC_LVT_TIMER, 0x60);                      /* one-shot */
	uint64_t t0 = rdtsc();
	wrmsr(APIC_TIMER_ICR, 2000000);
	uint64_t ccr = rdmsr(APIC_TIMER_CCR), elapsed = rdtsc() - t0;
	/* The count runs at the TSC rate (divide 1): it may already be 0 if
	 * this vCPU was off its CPU for the whole period (an overcommitted
	 * host), but only then. */
	check((ccr > 0 && ccr <= 2000000) || (ccr == 0 && elapsed >= 2000000),
	      "one-shot: the current count runs down");
	irq_sti_hlt();
	check(irq_count(0x60) == 1 && rdmsr(APIC_TIMER_CCR) == 0,
	      "one-shot: its interrupt wakes HLT, the count is 0");
	wrmsr(APIC_EOI, 0);

	wrmsr(APIC_LVT_TIMER, 1u << 17 | 0x62);           /* periodic */
	wrmsr(APIC_TIMER_ICR, 500000);
	irq_sti_hlt();
	wrmsr(APIC_EOI, 0);
	irq_sti_hlt();
	/* Stopped while the second is in service: a third period may end
	 * before the stop (the physical timer delivers it on time), but it
	 * waits in the IRR behind the ISR; it is taken and EOId below, so
	 * that it cannot wake the next HLT early. */
	wrmsr(APIC_TIMER_ICR, 0);
	check(irq_count(0x62) == 2, "periodic: two periods, two interrupts");
	wrmsr(APIC_EOI, 0);
	window();
	if (irq_count(0x62) > 2)
		wrmsr(APIC_EOI, 0);

	wrmsr(APIC_LVT_TIMER, 2u << 17 | 0x61);           /* TSC deadline */
	uint64_t deadline = rdtsc() + 1000000;
	wrmsr(TSC_DEADLINE, deadline);
	irq_sti_hlt();
	check(irq_count(0x61) == 1 && rdtsc() >= deadline, "TSC deadline: wakes HLT at the deadline");
	wrmsr(APIC_EOI, 0);
	wrmsr(APIC_LVT_TIMER, 1u << 16);
}

__attribute__((section(".text.start"))) void _start(uint64_t id)
{
	trap_init();
	irq_init();
	if (id == 1)
		vcpu1();
	irq_x2apic_on();

	check(rdmsr(APIC_ID) == 0 && (rdmsr(APIC_VERSION) & 0xff) == 0x14 && rdmsr(APIC_LDR) == 1,
	      "ID 0, version 0x14, LDR 1");
	expect_gp("write the read-only ID: #GP", APIC_ID, 1, 5);
	expect_gp("read the write-only EOI: #GP", APIC_EOI, 0, 0);
	expect_gp("TPR with reserved bits: #GP", APIC_TPR, 1, 0x100);
	expect_gp("ICR2 does not exist in x2APIC: #GP", 0x831, 0, 0);

	wrmsr(APIC_SVR, 0x1ff);
	wrmsr(APIC_SELF_IPI, 0x50);
	check(irq_total() == 0, "self IPI not delivered while RFLAGS.IF is clear");
	window();
	check(irq_count(0x50) == 1 && rdmsr(APIC_PPR) == 0x50, "self IPI delivered; PPR 0x50");
	wrmsr(APIC_SELF_IPI, 0x45);
	window();
	check(irq_count(0x45) == 0, "a lower class waits while 0x50 is in service");
	wrmsr(APIC_EOI, 0);
	window();
	check(irq_count(0x45) == 1, "after the EOI it is delivered");
	wrmsr(APIC_EOI, 0);
	check(rdmsr(APIC_PPR) == 0, "PPR back to 0");

	timers();

	while (!vcpu1_ready)
		__asm__ volatile("pause");
	wrmsr(APIC_ICR, 1UL << 32 | 0x70);                /* fixed, to vCPU 1 */
	for (uint64_t n = 0; !vcpu1_got && n < 4000000000UL; n++)
		__asm__ volatile("pause");
	check(vcpu1_got == 1, "fixed IPI to vCPU 1 wakes it, delivered once");

	/* INIT, SIPI, logical destinations: tests/guests/sipi.c. */
	expect_gp("SMI IPI (not modelled): #GP", APIC_ICR, 1, 1UL << 32 | 2u << 8);
	expect_gp("ExtINT IPI (not modelled): #GP", APIC_ICR, 1, 1UL << 32 | 7u << 8);

	kprintf("x2apic: %u checks, %u failed\n", checked, failed);
	kprintf(failed ? "FAIL\n" : "PASS\n");
	kexit(failed ? 1 : 0);
}
