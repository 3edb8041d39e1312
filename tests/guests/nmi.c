/* nmi: NMIs through the guest's IDT vector 2 (2 vCPUs): one the VMM
 * injects (SV_GUEST_NMI -> VCPU_NMI) arrives exactly once with RFLAGS.IF
 * clear; self NMI IPIs (the vector ignored); an NMI IPI wakes vCPU 1 from
 * `cli; hlt`; broadcast and all-but-self reach exactly who they name; an
 * NMI raised inside the handler is held until its IRET and then arrives
 * at once, not nested; a hundred raised there are one; two hundred raised
 * one after another outside it are two hundred; a guest cannot call
 * VCPU_NMI itself. The kernel runs with RFLAGS.IF clear throughout. */
#include <sealvisor/errno.h>
#include "guest/lib/irq.h"
#include "guest/lib/kernel.h"
#include "guest/lib/trap.h"
#include "guest/lib/cpu.h"

KERNEL_VCPUS(2);

#define APIC_SVR 0x80f
#define APIC_ICR 0x830
#define ICR_NMI (4u << 8)
#define ICR_SELF (1u << 18)
#define ICR_ALL (2u << 18)
#define ICR_OTHERS (3u << 18)
#define RFLAGS_IF (1UL << 9)
#define LONG_WAIT 400000000UL

static unsigned failed, checked;

/* Per vCPU, written by the handler. */
static volatile uint64_t count[2], depth[2], nested[2], with_if[2];
static volatile uint64_t rips[2][64];           /* interrupted RIP of each delivery */
static volatile uint64_t send_in_handler[2];   /* self NMIs the next handler sends */
static volatile uint64_t count_after_send[2];  /* count when it had sent them */
static volatile int vcpu1_ready, vcpu1_halting, vcpu1_woke;

static void check(int ok, const char *what)
{
	checked++;
	if (!ok)
		failed++;
	kprintf("nmi: %s: %s\n", what, ok ? "ok" : "FAILED");
}

/* Vector 2: save what a C call may clobber, call nmi_handle(frame). */
extern char nmi_entry[], nmi_entry_end[];
__asm__(".text\nnmi_entry:\n"
	"push %rax\n push %rcx\n push %rdx\n push %rsi\n push %rdi\n"
	"push %r8\n push %r9\n push %r10\n push %r11\n"
	"lea 72(%rsp), %rdi\n"
	"push %rbp\n mov %rsp, %rbp\n and $-16, %rsp\n"
	"call nmi_handle\n"
	"mov %rbp, %rsp\n pop %rbp\n"
	"pop %r11\n pop %r10\n pop %r9\n pop %r8\n"
	"pop %rdi\n pop %rsi\n pop %rdx\n pop %rcx\n pop %rax\n"
	"iretq\n"
	"nmi_entry_end:\n");

/* frame: RIP, CS, RFLAGS, RSP, SS of the interrupted code. */
__attribute__((used)) void nmi_handle(const uint64_t *frame)
{
	unsigned me = trap_vcpu_index();
	uint64_t rip = frame[0];

	if (++depth[me] > 1 || (rip >= (uint64_t)nmi_entry && rip < (uint64_t)nmi_entry_end))
		nested[me]++;
	rips[me][count[me]++ % 64] = rip;
	if (frame[2] & RFLAGS_IF)
		with_if[me]++;
	uint64_t n = send_in_handler[me];
	send_in_handler[me] = 0;
	for (uint64_t i = 0; i < n; i++)
		wrmsr(APIC_ICR, ICR_NMI | ICR_SELF);
	if (n)
		count_after_send[me] = count[me];
	depth[me]--;
}

static void spin(uint64_t n)
{
	for (volatile uint64_t i = 0; i < n; i++)
		__asm__ volatile("pause");
}

static void vcpu1(void)
{
	wrmsr(APIC_SVR, 0x1ff);     /* HLT then sleeps in the hypervisor */
	vcpu1_ready = 1;
	while (!count[1]) {
		vcpu1_halting = 1;
		__asm__ volatile("cli; hlt" ::: "memory");
	}
	vcpu1_woke = (int)count[1];
	kpark();                    /* IF clear: NMIs still wake it, and it halts again */
}

/* An NMI from the VMM: once, right away, with IF clear as it was. */
static void from_the_vmm(void)
{
	int64_t r = vmm_call(SV_GUEST_NMI, 0, 0);
	uint64_t got = count[0];
	spin(100000);
	check(r == 0 && got == 1 && count[0] == 1 && with_if[0] == 0 && !nested[0],
	      "VMM-injected NMI delivered once, IF clear");
	check(sv_call2(SV_HC_VCPU_NMI, 1, 0) == -EPERM && count[0] == 1,
	      "VCPU_NMI from a guest: -EPERM, nothing raised");
}

static void self_ipis(void)
{
	uint64_t before = count[0];
	wrmsr(APIC_ICR, ICR_NMI | ICR_SELF | 0x77);          /* the vector is ignored */
	check(count[0] == before + 1, "self NMI IPI (shorthand) delivered at once");
	wrmsr(APIC_ICR, 0UL << 32 | ICR_NMI);                  /* my own id, vector 0 */
	check(count[0] == before + 2, "NMI IPI to my own id delivered at once");
}

/* The handler of the first sends one more: it must wait for that
 * handler's IRET (the count it sees after sending is its own), then come
 * at once: its interrupted RIP is the first one's (nothing ran between
 * the IRET and it) and never inside the handler. */
static void held_until_iret(void)
{
	uint64_t before = count[0];
	send_in_handler[0] = 1;
	wrmsr(APIC_ICR, ICR_NMI | ICR_SELF);
	uint64_t after = count[0];
	check(count_after_send[0] == before + 1 && after == before + 2 && !nested[0],
	      "an NMI raised in the handler is held until its IRET, then delivered, not nested");
	check(after == before + 2 && rips[0][(before + 1) % 64] == rips[0][before % 64],
	      "the held NMI arrives right after the IRET, at the same RIP");
}

/* A hundred raised in the handler are one (one NMI waits while another is
 * handled); two hundred raised one after another outside it are two
 * hundred (each is delivered before the next is sent). */
static void many(void)
{
	uint64_t before = count[0];
	send_in_handler[0] = 100;
	wrmsr(APIC_ICR, ICR_NMI | ICR_SELF);
	spin(100000);
	check(count_after_send[0] == before + 1 && count[0] == before + 2 && !nested[0],
	      "100 NMIs raised in the handler: one more after its IRET");
	before = count[0];
	for (int i = 0; i < 200; i++)
		wrmsr(APIC_ICR, ICR_NMI | ICR_SELF);
	check(count[0] == before + 200 && !nested[0], "200 self NMIs one after another: 200");
	before = count[0];
	int ok = 1;
	for (int i = 0; i < 20; i++)
		ok &= vmm_call(SV_GUEST_NMI, 0, 0) == 0 && count[0] == before + i + 1;
	check(ok, "20 VMM NMIs one after another: 20, each at once");
}

static void wake_vcpu1(void)
{
	while (!vcpu1_halting)
		__asm__ volatile("pause");
	spin(2000000);              /* let it reach the HLT */
	check(count[1] == 0, "vCPU 1 halted with IF clear gets nothing meanwhile");
	wrmsr(APIC_ICR, 1UL << 32 | ICR_NMI);
	for (uint64_t n = 0; !vcpu1_woke && n < LONG_WAIT; n++)
		__asm__ volatile("pause");
	check(vcpu1_woke == 1 && !nested[1] && !with_if[1],
	      "NMI IPI to vCPU 1 wakes it from cli; hlt, delivered once");
}

static int wait_count(unsigned vcpu, uint64_t want)
{
	for (uint64_t n = 0; count[vcpu] < want && n < LONG_WAIT; n++)
		__asm__ volatile("pause");
	return count[vcpu] == want;
}

static void broadcasts(void)
{
	uint64_t mine = count[0], its = count[1];
	wrmsr(APIC_ICR, ICR_NMI | ICR_OTHERS);
	check(wait_count(1, its + 1) && count[0] == mine, "all-but-self NMI IPI: vCPU 1 only");
	wrmsr(APIC_ICR, 0xffffffffUL << 32 | ICR_NMI);
	check(wait_count(1, its + 2) && count[0] == mine + 1, "broadcast-id NMI IPI: both, once each");
	wrmsr(APIC_ICR, ICR_NMI | ICR_ALL);
	check(wait_count(1, its + 3) && count[0] == mine + 2, "all-including-self NMI IPI: both");
	spin(1000000);
	check(count[1] == its + 3 && count[0] == mine + 2 && !nested[1], "and nothing more");
}

__attribute__((section(".text.start"))) void _start(uint64_t id)
{
	trap_init();
	/* The IDT is shared and trap_init refills 0-31: each vCPU sets
	 * vector 2 after its own, and vCPU 0 starts once vCPU 1 has. */
	trap_set_gate(2, nmi_entry);
	irq_x2apic_on();
	if (id == 1)
		vcpu1();
	while (!vcpu1_ready)
		__asm__ volatile("pause");

	from_the_vmm();
	self_ipis();
	held_until_iret();
	many();
	wake_vcpu1();
	broadcasts();
	check(!with_if[0] && !with_if[1], "every NMI interrupted code with IF clear");

	kprintf("nmi: %u checks, %u failed\n", checked, failed);
	kprintf(failed ? "FAIL\n" : "PASS\n");
	kexit(failed ? 1 : 0);
}
