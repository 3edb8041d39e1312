/* xapic: the guest's local APIC through its xAPIC page (gpa 0xfee00000),
 * the mode a vCPU's APIC starts in: each access faults in stage 2 and the
 * hypervisor decodes and emulates the instruction. IA32_APIC_BASE and the
 * x2APIC MSRs' #GP in this mode, ID/version, TPR/PPR, a self IPI through
 * ICR low, EOI, a one-shot timer, IPIs to vCPU 1 through ICR high + low
 * (physical and flat logical), the accesses the SDM leaves undefined
 * (narrow, misaligned: read 0, write nothing), then the switch to x2APIC
 * mode (state kept; back to xAPIC: #GP). */
#include "guest/lib/irq.h"
#include "guest/lib/kernel.h"
#include "guest/lib/trap.h"
#include "guest/lib/cpu.h"

KERNEL_VCPUS(2);

#define APIC_PAGE 0xfee00000UL
#define APIC_BASE_MSR 0x1b
#define EN (1u << 11)
#define EXTD (1u << 10)
#define BSP (1u << 8)
enum { ID = 0x20, VERSION = 0x30, TPR = 0x80, PPR = 0xa0, EOI = 0xb0, LDR = 0xd0, DFR = 0xe0,
       SVR = 0xf0, ISR0 = 0x100, ICR_LOW = 0x300, ICR_HIGH = 0x310, LVT_TIMER = 0x320,
       TIMER_ICR = 0x380, TIMER_CCR = 0x390, TIMER_DCR = 0x3e0 };

static unsigned failed, checked;
static volatile int mapped, vcpu1_ready, vcpu1_got, vcpu1_logical;
static volatile uint64_t vcpu1_base, vcpu1_id;   /* what vCPU 1 read: vCPU 0 checks */
/* The 4th GiB's page directory: the VMM maps only the first GiB. */
static uint64_t pd3[512] __attribute__((aligned(4096)));

static uint32_t rd(unsigned off) { return *(volatile uint32_t *)(APIC_PAGE + off); }
static void wr(unsigned off, uint32_t v) { *(volatile uint32_t *)(APIC_PAGE + off) = v; }

static void check(int ok, const char *what)
{
	checked++;
	if (!ok)
		failed++;
	kprintf("xapic: %s: %s\n", what, ok ? "ok" : "FAILED");
}

static int raises_gp(uint32_t msr, int write, uint64_t val)
{
	struct msr_access m = { msr, val };
	struct trap t = { 0 };
	return trap_catch(write ? trap_wrmsr : trap_rdmsr, &m, &t) && t.vector == 13 && t.error == 0;
}

/* PDPT[3] -> pd3, whose 2 MiB page at 0xfee00000 is uncached. The
 * tables are identity-mapped, so their gpa is their address. */
static void map_apic_page(void)
{
	uint64_t cr3;
	__asm__ volatile("mov %%cr3, %0" : "=r"(cr3));
	uint64_t *pml4 = (uint64_t *)(cr3 & ~0xfffUL);
	uint64_t *pdpt = (uint64_t *)(pml4[0] & 0x000ffffffffff000UL);
	pd3[(APIC_PAGE >> 21) & 511] = (APIC_PAGE & ~0x1fffffUL) | 0x83 | 0x10;   /* P RW PS PCD */
	pdpt[3] = (uint64_t)pd3 | 3;
	__asm__ volatile("mov %0, %%cr3" : : "r"(cr3) : "memory");
}

static void window(void)
{
	__asm__ volatile("sti; nop; cli" ::: "memory");
}

static void vcpu1(void)
{
	while (!mapped)
		__asm__ volatile("pause");
	vcpu1_base = rdmsr(APIC_BASE_MSR);
	vcpu1_id = rd(ID);
	wr(SVR, 0x1ff);
	wr(LDR, 0x02u << 24);                       /* flat model, logical bit 1 */
	vcpu1_ready = 1;
	while (!irq_count(0x70))
		irq_sti_hlt();
	wr(EOI, 0);
	vcpu1_got = (int)irq_count(0x70);
	while (!irq_count(0x71))
		irq_sti_hlt();
	wr(EOI, 0);
	vcpu1_logical = (int)irq_count(0x71);
	kpark();
}

static void registers(void)
{
	check(rdmsr(APIC_BASE_MSR) == (APIC_PAGE | EN | BSP), "APIC_BASE 0xfee00900: xAPIC, enabled, BSP");
	check(raises_gp(0x802, 0, 0), "x2APIC MSR in xAPIC mode: #GP");
	check(raises_gp(APIC_BASE_MSR, 1, APIC_PAGE | EXTD), "APIC_BASE EXTD without EN: #GP");
	check(raises_gp(APIC_BASE_MSR, 1, 0xfec00000 | EN | BSP), "APIC_BASE moving the page: #GP");
	check(rd(ID) == 0 && (rd(VERSION) & 0xff) == 0x14 && (rd(VERSION) >> 16) == 6,
	      "ID 0, version 0x14, 7 LVTs");
	check(rd(DFR) == 0xffffffff, "DFR: flat model after reset");
	wr(TPR, 0x20);
	check(rd(TPR) == 0x20 && rd(PPR) == 0x20, "TPR 0x20 written and read, PPR follows");
	wr(TPR, 0);
	wr(SVR, 0x1ff);
	check(rd(SVR) == 0x1ff, "SVR: software-enabled");
}

static void self_ipi_and_eoi(void)
{
	wr(ICR_LOW, 1u << 18 | 0x50);                /* shorthand self */
	check(irq_total() == 0, "self IPI not delivered while RFLAGS.IF is clear");
	window();
	check(irq_count(0x50) == 1 && rd(PPR) == 0x50 && (rd(ISR0 + 0x20) & 1u << 16),
	      "self IPI through ICR low delivered; PPR 0x50, ISR bit set");
	wr(EOI, 0);                                  /* a MOV imm32 */
	check(rd(PPR) == 0 && !(rd(ISR0 + 0x20) & 1u << 16), "EOI clears it: PPR 0");
}

static void one_shot_timer(void)
{
	wr(TIMER_DCR, 0xb);                          /* divide by 1 */
	wr(LVT_TIMER, 0x60);
	wr(TIMER_ICR, 20000000);                     /* long enough for an exit under a loaded TCG */
	uint32_t ccr = rd(TIMER_CCR);
	check(ccr > 0 && ccr <= 20000000, "one-shot timer: the current count runs down");
	irq_sti_hlt();
	check(irq_count(0x60) == 1 && rd(TIMER_CCR) == 0, "one-shot timer: fires once, count 0");
	wr(EOI, 0);
}

static void ipis_to_vcpu1(void)
{
	while (!vcpu1_ready)
		__asm__ volatile("pause");
	check(vcpu1_base == (APIC_PAGE | EN), "vCPU 1: APIC_BASE 0xfee00800 (not the BSP)");
	check(vcpu1_id == 1u << 24, "vCPU 1: ID 1 in bits 31:24");
	wr(ICR_HIGH, 1u << 24);
	wr(ICR_LOW, 0x70);                           /* fixed, physical, to APIC ID 1 */
	for (uint64_t n = 0; !vcpu1_got && n < 4000000000UL; n++)
		__asm__ volatile("pause");
	check(vcpu1_got == 1, "IPI through ICR high + low wakes vCPU 1, delivered once");
	wr(ICR_HIGH, 0x02u << 24);
	wr(ICR_LOW, 1u << 11 | 0x71);                /* logical, flat: LDR bit 1 */
	for (uint64_t n = 0; !vcpu1_logical && n < 4000000000UL; n++)
		__asm__ volatile("pause");
	check(vcpu1_logical == 1, "logical (flat) IPI reaches vCPU 1 by its LDR");
}

/* The SDM leaves them undefined; sealvisor reads 0 and writes nothing. */
static void odd_accesses(void)
{
	check(*(volatile uint8_t *)(APIC_PAGE + VERSION) == 0, "byte read (MOVZX): 0");
	check(*(volatile uint32_t *)(APIC_PAGE + VERSION + 4) == 0, "misaligned dword read: 0");
	*(volatile uint16_t *)(APIC_PAGE + TPR) = 0x30;
	check(rd(TPR) == 0, "word write to TPR: ignored");
	wr(0x3f0, 0x50);                             /* SELF IPI: x2APIC only */
	window();
	check(irq_count(0x50) == 1, "the x2APIC-only SELF IPI offset: ignored");
}

static void to_x2apic(void)
{
	wr(TPR, 0x10);
	wrmsr(APIC_BASE_MSR, APIC_PAGE | EN | EXTD | BSP);
	check(rdmsr(0x802) == 0 && rdmsr(0x808) == 0x10 && rdmsr(0x80f) == 0x1ff,
	      "switch to x2APIC mode: its MSRs work, state kept");
	wrmsr(0x808, 0);
	wrmsr(0x83f, 0x52);
	window();
	check(irq_count(0x52) == 1, "x2APIC self IPI after the switch");
	wrmsr(0x80b, 0);
	check(raises_gp(APIC_BASE_MSR, 1, APIC_PAGE | EN | BSP), "x2APIC -> xAPIC directly: #GP");
}

__attribute__((section(".text.start"))) void _start(uint64_t id)
{
	trap_init();
	irq_init();
	if (id == 1)
		vcpu1();
	map_apic_page();
	mapped = 1;
	registers();
	self_ipi_and_eoi();
	one_shot_timer();
	ipis_to_vcpu1();
	odd_accesses();
	to_x2apic();
	kprintf("xapic: %u checks, %u failed\n", checked, failed);
	kprintf(failed ? "FAIL\n" : "PASS\n");
	kexit(failed ? 1 : 0);
}
