#include "hv/clock.h"
#include "hv/log.h"
#include "hv/shootdown.h"
#include "hv/trace.h"
#include "hv/virt.h"
#include "hv/vm.h"
#include "lib/errno_name.h"
#include "lib/ratelimit.h"

/* Per CPU, so no lock: each CPU only touches its own. */
static struct ratelimit limits[HV_MAX_CPUS];

static bool trace_allowed(void)
{
	uint64_t held_back;

	if (!log_enabled(LOG_DEBUG))
		return false;
	unsigned cpu = arch_cpu_id();
	bool ok = ratelimit_allow(&limits[cpu], clock_ms(), TRACE_WINDOW_MS, TRACE_BURST,
				  &held_back);
	if (held_back)
		log_debug("trace: CPU %u: %lu trace lines suppressed (more than %u in %u ms)\n",
			  cpu, held_back, TRACE_BURST, TRACE_WINDOW_MS);
	return ok;
}

void trace_flush(void)
{
	for (unsigned cpu = 0; cpu < HV_MAX_CPUS; cpu++) {
		uint64_t n = __atomic_exchange_n(&limits[cpu].suppressed, 0, __ATOMIC_RELAXED);
		if (n)
			log_debug("trace: CPU %u: %lu trace lines suppressed (more than %u in %u ms)\n",
				  cpu, n, TRACE_BURST, TRACE_WINDOW_MS);
	}
}

void trace_hypercall(const struct vm *caller, const uint64_t a[7], int64_t ret)
{
	if (trace_allowed())
		log_debug("hc: %s nr %lu (0x%lx, 0x%lx, 0x%lx, 0x%lx, 0x%lx) -> %ld %s\n",
			  caller->name, a[0], a[1], a[2], a[3], a[4], a[5], ret,
			  ret < 0 ? errno_name(ret) : "");
}

void trace_exit(const struct vcpu *v, const struct vm_exit *e)
{
	if (trace_allowed())
		log_debug("exit: %s vCPU %u reason %d (0x%lx %s) gpa 0x%lx port 0x%x\n",
			  v->vm->name, v->id, e->reason, e->raw, e->name ? e->name : "?", e->gpa,
			  e->port);
}
