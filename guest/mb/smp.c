/* Starting the second CPU the way a PC kernel does (guest/mb/mb.h):
 * INIT, 10 ms, SIPI (a second one if the first was not seen), with the
 * trampoline of guest/mb/ap.asm on the SIPI vector's page. */
#include "guest/mb/mb.h"
#include "lib/string.h"

extern const char ap_tramp[], ap_tramp_end[], ap_tramp_cr3[], ap_tramp_stack[],
	ap_tramp_entry[], ap_tramp_seen[];

#define SLOT(sym) ((volatile void *)(MB_AP_TRAMP + (uintptr_t)((sym) - ap_tramp)))
#define AP_STACK 16384

static uint8_t ap_stack[AP_STACK] __attribute__((aligned(16)));
static void (*volatile ap_fn)(void);
static volatile bool ap_running;
static volatile int32_t ap_ready_id = -1;           /* mb_ap_serve's APIC id */

static void ap_main(void)
{
	ap_running = true;
	ap_fn();
}

void mb_send_ipi(uint8_t dest, uint32_t low)
{
	*mb_lapic(0x310) = (uint32_t)dest << 24;
	*mb_lapic(0x300) = low;
	for (unsigned spin = 0; spin < 1000000 && (*mb_lapic(0x300) & (1u << 12)); spin++)
		__asm__ volatile("pause");                /* delivery status: pending */
}

bool mb_start_ap(void (*fn)(void), uint64_t tsc_10ms, struct mb_ap_start *seen)
{
	uint64_t cr3;

	__asm__ volatile("mov %%cr3, %0" : "=r"(cr3));
	memcpy((void *)MB_AP_TRAMP, ap_tramp, (size_t)(ap_tramp_end - ap_tramp));
	*(volatile uint32_t *)SLOT(ap_tramp_cr3) = (uint32_t)cr3;
	*(volatile uint64_t *)SLOT(ap_tramp_stack) = (uint64_t)(ap_stack + AP_STACK);
	*(volatile uint64_t *)SLOT(ap_tramp_entry) = (uint64_t)ap_main;
	ap_fn = fn;
	ap_running = false;
	ap_ready_id = -1;
	mb_send_ipi(1, 0x4500);                               /* INIT, assert */
	mb_delay(tsc_10ms);
	for (int sipi = 0; sipi < 2 && !ap_running; sipi++) {
		mb_send_ipi(1, 0x4600 | (MB_AP_TRAMP >> 12));  /* STARTUP */
		uint64_t end = rdtsc() + 50 * tsc_10ms;   /* 500 ms: generous for a loaded host */
		while (!ap_running && rdtsc() < end)
			__asm__ volatile("pause");
	}
	memcpy(seen, (const void *)SLOT(ap_tramp_seen), sizeof(*seen));
	return ap_running;
}

void mb_ap_serve(void)
{
	mb_idt_load();
	*mb_lapic(0xf0) = 0x1ff;                          /* its APIC on, spurious 0xff */
	ap_ready_id = (int32_t)(*mb_lapic(0x20) >> 24);
	for (;;)
		__asm__ volatile("sti; hlt");
}

int mb_ap_ready(uint64_t tsc)
{
	uint64_t end = rdtsc() + tsc;

	while (ap_ready_id < 0 && rdtsc() < end)
		__asm__ volatile("pause");
	return ap_ready_id;
}

volatile uint32_t mb_pings, mb_replies;

/* On the AP. */
static void ping(void)
{
	mb_pings++;
	*mb_lapic(0x310) = 0;                             /* to the BSP, APIC id 0 */
	*mb_lapic(0x300) = 0x4000 | MB_REPLY_VECTOR;      /* fixed, assert */
	mb_lapic_eoi();
}

static void reply(void)
{
	mb_replies++;
	mb_lapic_eoi();
}

void mb_ping_reply_set(void)
{
	mb_isr_set(MB_PING_VECTOR, ping);
	mb_isr_set(MB_REPLY_VECTOR, reply);
}
