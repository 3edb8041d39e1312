/* mb-ipi: the second CPU as a PC kernel starts and talks to it. INIT and
 * SIPI start it in real mode at the SIPI vector's page (CS = vector << 8,
 * CR0.PE clear), it enters long mode on the BSP's page tables and loads
 * the shared IDT; then fixed IPIs both ways, by physical id and by the
 * "all excluding self" shorthand, and an NMI IPI to self through vector 2.
 * With one CPU in the MADT it prints a SKIP line. Same lines on QEMU and
 * under ./sealvisor. */
#include "guest/mb/mb.h"

const char *mb_name = "mb-ipi";

static volatile uint32_t nmis;

static MB_HANDLER void nmi(void)
{
	nmis++;                                   /* no EOI for an NMI */
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
	mb_isr_set(2, nmi);
	mb_ping_reply_set();
	mb_isr_set(0xff, NULL);                             /* spurious */
	mb_idt_load();
	*mb_lapic(0xf0) = 0x1ff;
	mb_pit_calibrate(&c);

	bool up = mb_start_ap(mb_ap_serve, c.tsc_10ms, &seen);
	mb_check(up, "INIT/SIPI start CPU 1");
	mb_check(seen.cs == MB_AP_TRAMP >> 4 && !(seen.cr0_low & 1),
		 "CPU 1 began in real mode at the SIPI vector's page (CS 0x7000, CR0.PE clear)");
	int id = up ? mb_ap_ready(100 * c.tsc_10ms) : -1;
	mb_check(id == 1, "CPU 1 reached long mode; its APIC id is 1");
	if (id != 1)
		return;
	mb_send_ipi(1, 0x4000 | MB_PING_VECTOR);            /* fixed, physical id 1 */
	mb_halt_until(&mb_replies, 1, 100 * c.tsc_10ms);
	mb_check(mb_pings == 1 && mb_replies == 1, "fixed IPI to id 1: its handler ran and answered");
	mb_send_ipi(0, 0xc4000 | MB_PING_VECTOR);           /* all excluding self */
	mb_halt_until(&mb_replies, 2, 100 * c.tsc_10ms);
	mb_check(mb_pings == 2 && mb_replies == 2, "fixed IPI to all excluding self: CPU 1 only");
	mb_send_ipi(0, 0x44400);                            /* NMI to self */
	mb_halt_until(&nmis, 1, 100 * c.tsc_10ms);
	mb_check(nmis == 1, "NMI IPI to self: taken through vector 2");
	mb_check(mb_pings == 2, "no stray IPIs at CPU 1");
}
