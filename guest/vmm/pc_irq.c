/* The PC machine's clock and interrupts for a `qemu -kernel` guest
 * (qemu_guest.c): the models (pc_machine.h) are pure and shared by the
 * guest's vCPUs, which run on different control vCPUs, so every use of
 * them takes pc_lock; their interrupt records become VCPU_INTERRUPT
 * calls, and their next timer event the deadline of vCPU 0's VCPU_RUN
 * (sv_run.exit_at_tsc). */
#include "guest/vmm/vmm.h"
#include "guest/vmm/pc_irq.h"
#include "guest/vmm/com1_input.h"

static uint64_t tsc_per_ms;
static int lock_word;
static bool logical_noted, dest_noted, mode_noted, refused_noted;

void pc_clock_init(uint64_t rate)
{
	tsc_per_ms = rate ? rate : 1000000;     /* unmeasured: 1 GHz */
}

static uint64_t rdtsc(void)
{
	uint32_t lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return (uint64_t)hi << 32 | lo;
}

uint64_t pc_now_ns(void)
{
	uint64_t tsc = rdtsc();
	/* ns = tsc * 10^6 / tsc_per_ms, without overflowing for years */
	return tsc / tsc_per_ms * 1000000 + tsc % tsc_per_ms * 1000000 / tsc_per_ms;
}

/* The inverse of pc_now_ns, rounded up so the deadline is not early. */
static uint64_t ns_to_tsc(uint64_t ns)
{
	return ns / 1000000 * tsc_per_ms + (ns % 1000000 * tsc_per_ms + 999999) / 1000000;
}

void pc_lock(void)
{
	while (__atomic_exchange_n(&lock_word, 1, __ATOMIC_ACQUIRE))
		while (__atomic_load_n(&lock_word, __ATOMIC_RELAXED))
			__asm__ volatile("pause");
}

void pc_unlock(void)
{
	__atomic_store_n(&lock_word, 0, __ATOMIC_RELEASE);
}

static int64_t to_vcpu(struct guest *g, const struct pc_delivery *d, unsigned vcpu)
{
	if (d->delivery_mode == IOAPIC_DM_NMI)
		return sv_call2(SV_HC_VCPU_NMI, g->vm, vcpu);
	/* A level entry's message sets the TMR: the guest's EOI of it comes
	 * back as SV_EXIT_EOI (pc_eoi_exit), which ends Remote IRR. */
	return sv_call4(SV_HC_VCPU_INTERRUPT, g->vm, vcpu, d->vector,
			SV_IRQ_APIC_MESSAGE | (d->level ? SV_IRQ_APIC_LEVEL : 0));
}

/* One record: the 8259's vector as an external interrupt (no APIC EOI:
 * the guest ends it at the PIC), the I/O APIC's as an APIC message to
 * the vCPU whose index is the physical destination (0xff: all of them).
 * Logical destinations are refused with a note: this VMM does not track
 * the guests' LDRs. Each kind of note is printed once. */
static void deliver(struct guest *g, const struct pc_delivery *d)
{
	int64_t r = 0;
	bool known_mode = d->delivery_mode == IOAPIC_DM_FIXED ||
			  d->delivery_mode == IOAPIC_DM_LOWEST || d->delivery_mode == IOAPIC_DM_NMI;

	if (d->from_pic)
		r = sv_call3(SV_HC_VCPU_INTERRUPT, g->vm, 0, d->vector);
	else if (d->logical) {
		if (!logical_noted)
			sv_printf("[vmm] %s: I/O APIC message with a logical destination (0x%x, "
				  "vector 0x%x) dropped: only physical ones are routed\n", g->name,
				  d->dest, d->vector);
		logical_noted = true;
	} else if (!known_mode) {
		if (!mode_noted)
			sv_printf("[vmm] %s: I/O APIC delivery mode %u dropped: not supported\n",
				  g->name, d->delivery_mode);
		mode_noted = true;
	} else if (d->dest == 0xff) {
		for (unsigned k = 0; k < g->nr_vcpus && !r; k++)
			r = to_vcpu(g, d, k);
	} else if (d->dest < g->nr_vcpus) {
		r = to_vcpu(g, d, d->dest);
	} else {
		if (!dest_noted)
			sv_printf("[vmm] %s: I/O APIC message for APIC id %u dropped: no such vCPU\n",
				  g->name, d->dest);
		dest_noted = true;
	}
	if (r && !refused_noted)     /* a vector below 32, say: the guest's mistake */
		sv_printf("[vmm] %s: vector 0x%x for vCPU %u refused (%ld)\n", g->name, d->vector,
			  d->from_pic ? 0 : d->dest, r);
	refused_noted |= r != 0;
}

void pc_deliver_locked(struct guest *g)
{
	struct pc_delivery d;

	while (pc_next_delivery(g->pc, &d))
		deliver(g, &d);
}

/* vCPU 0 keeps the machine's clock: before each of its runs the timers
 * catch up, what they raised goes in, and the run ends by their next
 * event; a raised 8259 INTR asks for its interrupt window (pc_window
 * acknowledges it there). The others run without a deadline of ours. */
void pc_before_run(struct guest *g, unsigned vcpu, struct sv_run *run)
{
	if (vcpu) {
		run->exit_at_tsc = 0;
		return;
	}
	pc_lock();
	uint64_t now = pc_now_ns();
	pc_tick(g->pc, now);
	com1_input_feed_locked(g->pc);
	pc_deliver_locked(g);
	uint64_t next = pc_next_event(g->pc, now);
	bool intr = pc_pic_intr(g->pc);
	pc_unlock();
	run->exit_at_tsc = next == PIT_NEVER ? 0 : ns_to_tsc(next);
	run->request_irq_window = intr;
}

void pc_window(struct guest *g)
{
	struct pc_delivery d;

	pc_lock();
	if (pc_pic_inta(g->pc, &d))
		deliver(g, &d);
	pc_unlock();
}

/* The EOI broadcast of a level-triggered vector: Remote IRR clears, and
 * an entry whose line is still asserted sends again at once. */
void pc_eoi_exit(struct guest *g, uint8_t vector)
{
	pc_lock();
	pc_eoi(g->pc, vector);
	pc_deliver_locked(g);
	pc_unlock();
}
