#include "hv/clock.h"
#include "hv/log.h"
#include "hv/shutdown.h"
#include "hv/virt.h"
#include "hv/vm.h"
#include "hv/watchdog.h"

/* How long a control vCPU runs between two looks at the clock: the
 * watchdog's stop comes at most this late (200 000 cycles per ms where
 * the rate is unknown). */
#define CONTROL_SLICE_MS 100

static unsigned limit_s;
static uint64_t last_progress_ms;

void watchdog_init(unsigned seconds)
{
	limit_s = seconds;
	__atomic_store_n(&last_progress_ms, clock_ms(), __ATOMIC_RELAXED);
	if (seconds)
		log_info("watchdog: the control partition is stopped after %u s without a "
			 "hypercall\n", seconds);
}

void watchdog_progress(const struct vm *caller)
{
	if (limit_s && caller->is_control)
		__atomic_store_n(&last_progress_ms, clock_ms(), __ATOMIC_RELAXED);
}

void watchdog_before_entry(struct vcpu *v)
{
	if (!limit_s)
		return;
	uint64_t idle = clock_ms() - __atomic_load_n(&last_progress_ms, __ATOMIC_RELAXED);
	if (idle >= limit_s * 1000UL) {
		log_err("watchdog: the control partition made no hypercall for %lu ms (watchdog = "
			"%u s; vCPU %u at rip 0x%lx): stopping it\n", idle, limit_s, v->id,
			virt->get_rip(v));
		arch_shutdown(SV_EXIT_WATCHDOG);
	}
	virt->preemption_arm(v, clock_tsc() + CONTROL_SLICE_MS * (clock_tsc_per_ms() ?: 200000));
}
