/* mb-ipi: the second CPU as a PC kernel starts and talks to it. INIT and
 * SIPI start it in real mode at the SIPI vector's page (CS = vector << 8,
 * CR0.PE clear), it enters long mode on the BSP's page tables and loads
 * the shared IDT; then fixed IPIs both ways, by physical id and by the
 * "all excluding self" shorthand, and an NMI IPI to self through vector 2.
 * With one CPU in the MADT it prints a SKIP line. Same lines on QEMU and
 * under ./sealvisor. */
#include "guest/mb/mb.h"

const char *mb_name = "mb-ipi";

#define REPLY_VECTOR 0x41       /* AP -> BSP */
#define PING_VECTOR 0x50        /* BSP -> AP */

static volatile uint32_t replies, pings, nmis, ap_ready;
void reply_isr(void), ping_isr(void), nmi_isr(void), spurious_isr(void);
/* The local APIC page is above 2 GiB: addressed through a register. */
__asm__(".text\n"
	"reply_isr:\n"
	"	push %rax\n"
	"	lock incl replies(%rip)\n"
	"	mov $0xfee00000, %eax\n"
	"	movl $0, 0xb0(%rax)\n"
	"	pop %rax\n"
	"	iretq\n"
	"ping_isr:\n"            /* on the AP: count, answer the BSP (APIC id 0), EOI */
	"	push %rax\n"
	"	lock incl pings(%rip)\n"
	"	mov $0xfee00000, %eax\n"
	"	movl $0, 0x310(%rax)\n"
	"	movl $0x4041, 0x300(%rax)\n"   /* fixed, assert, REPLY_VECTOR */
	"	movl $0, 0xb0(%rax)\n"
	"	pop %rax\n"
	"	iretq\n"
	"nmi_isr:\n"             /* no EOI for an NMI */
	"	lock incl nmis(%rip)\n"
	"	iretq\n"
	"spurious_isr:\n"
	"	iretq\n");

static void ap(void)
{
	mb_idt_load();
	*mb_lapic(0xf0) = 0x1ff;
	ap_ready = *mb_lapic(0x20) >> 24 == 1 ? 1 : 2;
	for (;;)
		__asm__ volatile("sti; hlt");
}

static void wait_for(volatile uint32_t *v, uint32_t n, uint64_t budget)
{
	uint64_t end = rdtsc() + budget;
	while (*v < n && rdtsc() < end)
		__asm__ volatile("sti; hlt; cli");
}

void mb_test(void)
{
	struct mb_calib c;
	struct mb_ap_start seen;
	unsigned cpus = mb_madt_cpus();

	if (cpus < 2) {
		mb_printf("%s: SKIP: the MADT lists %u CPU: no second CPU\n", mb_name, cpus);
		return;
	}
	mb_pic_mask_all();
	*mb_lapic(0x350) = 1u << 16;
	mb_idt_set(2, nmi_isr);
	mb_idt_set(REPLY_VECTOR, reply_isr);
	mb_idt_set(PING_VECTOR, ping_isr);
	mb_idt_set(0xff, spurious_isr);
	mb_idt_load();
	*mb_lapic(0xf0) = 0x1ff;
	mb_pit_calibrate(&c);

	bool up = mb_start_ap(ap, c.tsc_10ms, &seen);
	mb_check(up, "INIT/SIPI start CPU 1");
	mb_check(seen.cs == MB_AP_TRAMP >> 4 && !(seen.cr0_low & 1),
		 "CPU 1 began in real mode at the SIPI vector's page (CS 0x7000, CR0.PE clear)");
	uint64_t end = rdtsc() + 100 * c.tsc_10ms;
	while (up && !ap_ready && rdtsc() < end)
		__asm__ volatile("pause");
	mb_check(ap_ready == 1, "CPU 1 reached long mode; its APIC id is 1");
	if (ap_ready != 1)
		return;
	mb_send_ipi(1, 0x4000 | PING_VECTOR);               /* fixed, physical id 1 */
	wait_for(&replies, 1, 100 * c.tsc_10ms);
	mb_check(pings == 1 && replies == 1, "fixed IPI to id 1: its handler ran and answered");
	mb_send_ipi(0, 0xc4000 | PING_VECTOR);              /* all excluding self */
	wait_for(&replies, 2, 100 * c.tsc_10ms);
	mb_check(pings == 2 && replies == 2, "fixed IPI to all excluding self: CPU 1 only");
	mb_send_ipi(0, 0x44400);                            /* NMI to self */
	wait_for(&nmis, 1, 100 * c.tsc_10ms);
	mb_check(nmis == 1, "NMI IPI to self: taken through vector 2");
	mb_check(pings == 2, "no stray IPIs at CPU 1");
}
