#include "hv/clock.h"
#include "hv/log.h"
#include "hv/shootdown.h"
#include "hv/trace.h"
#include "hv/virt.h"
#include "hv/vm.h"
#include "lib/errno_name.h"
#include "lib/ratelimit.h"

/* Per kind and per CPU, so no lock: each CPU only touches its own. Exits
 * and hypercalls have a budget each: a guest's slices end every 10 ms, and
 * its exits alone would otherwise use up every window before one
 * hypercall is shown. */
enum trace_kind { TRACE_HC, TRACE_EXIT, TRACE_KINDS };
static const char *const kind_name[TRACE_KINDS] = { "hypercall", "exit" };
static struct ratelimit limits[TRACE_KINDS][HV_MAX_CPUS];

static void report(unsigned kind, unsigned cpu, uint64_t n)
{
	log_debug("trace: CPU %u: %lu %s trace lines suppressed (more than %u in %u ms)\n", cpu,
		  n, kind_name[kind], TRACE_BURST, TRACE_WINDOW_MS);
}

static bool trace_allowed(enum trace_kind kind)
{
	uint64_t held_back;

	if (!log_enabled(LOG_DEBUG))
		return false;
	unsigned cpu = arch_cpu_id();
	bool ok = ratelimit_allow(&limits[kind][cpu], clock_ms(), TRACE_WINDOW_MS, TRACE_BURST,
				  &held_back);
	if (held_back)
		report(kind, cpu, held_back);
	return ok;
}

void trace_flush(void)
{
	for (unsigned kind = 0; kind < TRACE_KINDS; kind++)
		for (unsigned cpu = 0; cpu < HV_MAX_CPUS; cpu++) {
			uint64_t n = __atomic_exchange_n(&limits[kind][cpu].suppressed, 0,
							 __ATOMIC_RELAXED);
			if (n)
				report(kind, cpu, n);
		}
}

void trace_hypercall(const struct vm *caller, const uint64_t a[7], int64_t ret)
{
	if (trace_allowed(TRACE_HC))
		log_debug("hc: %s nr %lu (0x%lx, 0x%lx, 0x%lx, 0x%lx, 0x%lx) -> %ld %s\n",
			  caller->name, a[0], a[1], a[2], a[3], a[4], a[5], ret,
			  ret < 0 ? errno_name(ret) : "");
}

void trace_exit(const struct vcpu *v, const struct vm_exit *e)
{
	if (trace_allowed(TRACE_EXIT))
		log_debug("exit: %s vCPU %u reason %d (0x%lx %s) gpa 0x%lx port 0x%x\n",
			  v->vm->name, v->id, e->reason, e->raw, e->name ? e->name : "?", e->gpa,
			  e->port);
}
