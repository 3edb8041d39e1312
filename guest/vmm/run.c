/* The run loop: one guest vCPU on one control vCPU, its exits served
 * until the guest is done (guest/vmm/vmm.h). */
#include "guest/vmm/vmm.h"
#include "guest/vmm/cc_ring.h"
#include "guest/vmm/memory_probe.h"
#include "guest/vmm/pc_irq.h"

/* Bounds for our test kernels (a kernel for `qemu -kernel` is bounded by
 * its runner's timeout instead): exits, and VCPU_RUN slices (10 ms each,
 * hv/run.c) of vCPU 0 without a result, about 60 s. The slices are wall
 * time: a kernel whose vCPU 0 waits for vCPU 1 (smp-punch) on a loaded
 * emulator with debug tracing came near the old 20 s. */
#define MAX_EXITS 2000000
#define MAX_PREEMPTIONS 6000
#define EXPECTED_PREEMPTIONS 3

/* COM1 output, a line at a time, tagged with the guest (and vCPU). */
void guest_serial_out(struct guest *g, unsigned vcpu, char c)
{
	char *line = g->line[vcpu];
	unsigned *col = &g->col[vcpu];

	if (c != '\n' && *col < sizeof(g->line[0]) - 1) {
		line[(*col)++] = c;
		return;
	}
	line[*col] = 0;
	if (vcpu)
		sv_printf("[%s/%u] %s\n", g->name, vcpu, line);
	else
		sv_printf("[%s] %s\n", g->name, line);
	*col = 0;
	if (c != '\n')
		line[(*col)++] = c;
}

/* Our test kernels' ports: COM1 output, the result on 0xf4. */
static void io(struct guest *g, unsigned vcpu, struct sv_run *run)
{
	if (g->pc)
		return qemu_guest_io(g, vcpu, run);
	if (run->io.port == BENCH_PORT)
		return bench_port_io(g, run);
	if (!run->io.is_write) {
		run->io.data = run->io.port == 0x3fd ? 0x60 : 0xffffffff;   /* LSR: ready */
		return;
	}
	if (run->io.port == 0x3f8)
		guest_serial_out(g, vcpu, (char)run->io.data);
	else if (run->io.port == RING_DOORBELL_PORT && run->io.size == 4)
		service_ring_doorbell(g, run->io.data);
	else if (run->io.port == CC_DOORBELL_PORT && run->io.size == 4)
		cc_demo_doorbell(g, run->io.data);
	else if (run->io.port == CC_PROBE_PORT && run->io.size == 4)
		cc_demo_probe(g, run->io.data);
	else if (run->io.port == 0xf4) {
		g->status = (int)run->io.data;
		g->done = true;
		if (g->status) {
			char why[64];
			sv_snprintf(why, sizeof(why), "guest reported failure: status %d",
				    g->status);
			guest_fail(g, why, 0);
		}
	}
}

/* Runs one guest vCPU until the guest is done (any vCPU may end it), or
 * until a secondary vCPU halts (its work is over). */
void run_vcpu(struct guest *g, unsigned vcpu)
{
	struct sv_run run;
	uint64_t window_vector = 0;      /* raised when the window opens */

	memset(&run, 0, sizeof(run));
	for (unsigned n = 0; !g->done && (n < MAX_EXITS || g->pc); n++) {
		if (g->pc)
			pc_before_run(g, vcpu, &run);
		int64_t r = sv_call3(SV_HC_VCPU_RUN, g->vm, vcpu, (uint64_t)&run);
		if (r)
			return guest_fail(g, "VCPU_RUN failed", r);
		/* Issue 11: the guest ran on this CPU with its own vector state;
		 * ours must come back whole (and so not be the guest's). */
		if (fx_check(XMM_SEED) != 0)
			return guest_fail(g, "the VMM's XMM registers changed across VCPU_RUN", 0);
		if (run.exit_reason != SV_EXIT_IO || run.io.port != 0x3f8)
			check_own_state(g);     /* not after every character: Bochs is slow */
		if (g->pc && vcpu == 0 && n % PROBE_EVERY == PROBE_EVERY - 1)
			memory_probe(g);
		switch (run.exit_reason) {
		case SV_EXIT_IO:
			io(g, vcpu, &run);
			break;
		case SV_EXIT_HYPERCALL:
			if (run.hypercall.nr == SV_GUEST_PUNCH)
				service_punch(g, &run);
			else if (run.hypercall.nr == SV_GUEST_STATS)
				run.hypercall.ret = (int64_t)guest_vm_pages(g->vm);
			else if (run.hypercall.nr == SV_GUEST_EXPECT_PREEMPT)
				g->expect_preempt = true, run.hypercall.ret = 0;
			else if (run.hypercall.nr == SV_GUEST_PREEMPTIONS)
				run.hypercall.ret = g->preemptions;
			else if (run.hypercall.nr == SV_GUEST_MIGRATE && service_migrate(g, vcpu, &run))
				return;         /* control vCPU 1 ran it to the end */
			else if (run.hypercall.nr == SV_GUEST_HANDOFF)
				service_handoff(g, &run);
			else if (run.hypercall.nr == SV_GUEST_INTERRUPT)
				run.hypercall.ret = sv_call3(SV_HC_VCPU_INTERRUPT, g->vm, vcpu,
							     run.hypercall.args[0]);
			else if (run.hypercall.nr == SV_GUEST_NMI)
				run.hypercall.ret = sv_call2(SV_HC_VCPU_NMI, g->vm, vcpu);
			else if (run.hypercall.nr == SV_GUEST_IRQ_WINDOW) {
				window_vector = run.hypercall.args[0];
				run.request_irq_window = 1;
				run.hypercall.ret = 0;
			}
			break;
		case SV_EXIT_IRQ_WINDOW:
			if (g->pc && !vcpu && run.request_irq_window) {
				pc_window(g);
				break;
			}
			if (!run.request_irq_window)
				return guest_fail(g, "interrupt window exit not asked for", 0);
			run.request_irq_window = 0;
			r = sv_call3(SV_HC_VCPU_INTERRUPT, g->vm, vcpu, window_vector);
			if (r)
				return guest_fail(g, "VCPU_INTERRUPT at the window failed", r);
			break;
		case SV_EXIT_EOI:
			/* Only our I/O APIC sends level messages. */
			if (!g->pc)
				return guest_fail(g, "EOI exit without a PC machine", 0);
			pc_eoi_exit(g, (uint8_t)run.eoi.vector);
			break;
		case SV_EXIT_MSR:
			if (g->pc)
				qemu_guest_msr(&run);
			else
				service_msr_exit(g, &run);
			break;
		case SV_EXIT_MAP_GPA:
			service_map_gpa(g, &run);
			break;
		case SV_EXIT_MEMORY_FAULT:
			service_memory_fault(g, &run);
			if (g->failed)
				return;
			break;
		case SV_EXIT_PREEMPT:
			if (vcpu)
				break;          /* a slice for vCPU 0's clock only */
			g->preemptions++;
			if (g->expect_preempt && g->preemptions == EXPECTED_PREEMPTIONS) {
				sv_printf("[vmm] %s: preempted %u times without exiting: stopped\n",
					  g->name, g->preemptions);
				g->done = true;
			} else if (g->preemptions == MAX_PREEMPTIONS && !g->pc) {
				return guest_fail(g, "time limit: too many preemptions", 0);
			}
			break;
		case SV_EXIT_MMIO:
			if (g->pc)
				qemu_guest_mmio(g, &run);
			else
				service_mmio(g, &run);
			if (g->failed)
				return;
			break;
		case SV_EXIT_SHUTDOWN:
			sv_printf("[vmm] %s: shutdown at rip 0x%lx (code 0x%lx)\n", g->name,
				  run.shutdown.rip, run.shutdown.code);
			return guest_fail(g, "guest shut down (triple fault)", 0);
		case SV_EXIT_HLT:
			if (vcpu)
				return;
			/* The hypervisor keeps a vCPU that something could wake
			 * (its APIC; with IF set, the deadline's devices). */
			if (g->pc)
				return guest_fail(g, run.exit_at_tsc ? "vCPU 0 halted with interrupts "
						  "disabled and its local APIC off: nothing can wake it"
						  : "vCPU 0 halted with its local APIC off and no device "
						  "timer armed: nothing can wake it", 0);
			return guest_fail(g, "guest halted without a result", 0);
		default:
			return guest_fail(g, "unknown exit", 0);
		}
	}
	if (!g->done)
		guest_fail(g, "no result after too many exits", 0);
}

void run_guest(struct guest *g)
{
	for (unsigned k = 1; k < g->nr_vcpus; k++) {
		jobs[k].g = g;
		jobs[k].vcpu = k;
		__atomic_store_n(&jobs[k].state, JOB_READY, __ATOMIC_RELEASE);
		sv_call1(SV_HC_CONTROL_VCPU_WAKE, k);
	}
	run_vcpu(g, 0);
	g->done = true;                  /* the others stop at their next exit */
	for (unsigned k = 1; k < g->nr_vcpus; k++) {
		while (__atomic_load_n(&jobs[k].state, __ATOMIC_ACQUIRE) != JOB_DONE)
			__asm__ volatile("pause");
		jobs[k].state = JOB_IDLE;
	}
}
