/* mb-accept: issue 12's acceptance in one kernel. Entered in 32-bit
 * protected mode (checked), it switches to long mode (guest/mb/entry.asm),
 * installs an IDT, calibrates its local APIC timer with PIT channel 2,
 * takes the timer's interrupts, walks the MADT, starts the second CPU
 * (INIT/SIPI, long mode, its own IDT load) and sends it a fixed IPI which
 * the AP's handler answers with a fixed IPI back, uses SSE, reads the RTC,
 * prints on COM1 and exits through isa-debug-exit with the status on its
 * command line (exit=N). With one CPU in the MADT the IPI part prints a
 * SKIP line and the rest runs. Same lines on QEMU and under ./sealvisor. */
#include "guest/mb/mb.h"
#include "lib/string.h"

const char *mb_name = "mb-accept";

#define TIMER_VECTOR 0x40

static volatile uint32_t timer_hits;

static MB_HANDLER void timer_tick(void)
{
	timer_hits++;
	mb_lapic_eoi();
}

static void timer(const struct mb_calib *c)
{
	*mb_lapic(0x320) = TIMER_VECTOR | 1u << 17;   /* periodic, 1 ms */
	*mb_lapic(0x380) = c->apic_10ms / 10;
	mb_halt_until(&timer_hits, 5, 50 * c->tsc_10ms);
	*mb_lapic(0x380) = 0;
	*mb_lapic(0x320) = 1u << 16;
	mb_check(timer_hits >= 5, "APIC timer (calibrated by the PIT, 1 ms periodic): 5 interrupts through the IDT");
}

static void ipi(const struct mb_calib *c)
{
	unsigned cpus = mb_madt_cpus();

	if (cpus < 2) {
		mb_printf("%s: SKIP: the MADT lists %u CPU: no second CPU for the IPI\n", mb_name, cpus);
		return;
	}
	struct mb_ap_start seen;
	bool up = mb_start_ap(mb_ap_serve, c->tsc_10ms, &seen);
	mb_check(up, "INIT/SIPI start CPU 1; it enters long mode");
	if (!up || mb_ap_ready(100 * c->tsc_10ms) < 0)
		return;
	mb_send_ipi(1, 0x4000 | MB_PING_VECTOR);            /* fixed, assert */
	mb_halt_until(&mb_replies, 1, 100 * c->tsc_10ms);
	mb_check(mb_pings == 1, "fixed IPI to CPU 1: its IDT handler ran once");
	mb_check(mb_replies == 1, "CPU 1's handler answered with a fixed IPI back");
}

static void sse(void)
{
	static const float a[4] __attribute__((aligned(16))) = { 1.5f, 2.5f, -3.0f, 100.0f };
	static const float b[4] __attribute__((aligned(16))) = { 0.5f, 0.5f, 3.0f, 0.25f };
	uint32_t out[4] __attribute__((aligned(16)));

	__asm__ volatile("movaps %1, %%xmm0\n\tmulps %2, %%xmm0\n\tmovaps %%xmm0, %0"
			 : "=m"(out) : "m"(a), "m"(b) : "xmm0");
	mb_check(out[0] == 0x3f400000 && out[1] == 0x3fa00000 && out[2] == 0xc1100000 &&
		 out[3] == 0x41c80000, "SSE: mulps gives the exact products");
}

static bool rtc_plausible(void)
{
	mb_rtc_wait_update();
	uint8_t v[6] = { mb_cmos(0), mb_cmos(2), mb_cmos(4), mb_cmos(7), mb_cmos(8), mb_cmos(9) };
	bool binary = mb_cmos(0x0b) & 4;
	for (int i = 0; i < 6; i++)
		if (!binary)
			v[i] = (uint8_t)((v[i] >> 4) * 10 + (v[i] & 15));
	return v[0] < 60 && v[1] < 60 && (v[2] & 0x7f) < 24 && v[3] >= 1 && v[3] <= 31 &&
	       v[4] >= 1 && v[4] <= 12 && v[5] < 100;
}

void mb_test(void)
{
	struct mb_calib c;
	struct __attribute__((packed)) { uint16_t limit; uint64_t base; } idtr;

	mb_check(mb_entry->eax == 0x2badb002u && (mb_entry->cr0 & 0x80000001u) == 1,
		 "entered in 32-bit protected mode (EAX magic, paging off)");
	mb_check(rdmsr(0xc0000080) & (1u << 10), "switched to long mode (EFER.LMA)");
	mb_pic_mask_all();
	*mb_lapic(0x350) = 1u << 16;                          /* LINT0 masked */
	mb_isr_set(TIMER_VECTOR, timer_tick);
	mb_ping_reply_set();
	mb_isr_set(0xff, NULL);                               /* spurious */
	mb_idt_load();
	__asm__ volatile("sidt %0" : "=m"(idtr));
	mb_check(idtr.limit == 4095, "IDT installed (256 gates)");
	*mb_lapic(0xf0) = 0x1ff;
	mb_pit_calibrate(&c);
	mb_check(c.tsc_10ms > 0 && c.apic_10ms >= 100, "PIT channel 2 calibrates the APIC timer");
	timer(&c);
	unsigned cpus = mb_madt_cpus();
	mb_printf("%s: the MADT lists %u enabled CPU(s)\n", mb_name, cpus);
	mb_check(cpus >= 1, "MADT walked (RSDP search, RSDT, checksums)");
	ipi(&c);
	sse();
	mb_check(rtc_plausible(), "RTC reads a plausible date and time");
}
