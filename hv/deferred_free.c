/* Pages a hypercall removed, freed after its lock (hv/deferred_free.h). */
#include <stddef.h>
#include "hv/arch.h"
#include "hv/deferred_free.h"
#include "hv/limits.h"
#include "mm/reclaim.h"

static struct {
	unsigned depth;               /* dispatches in progress on this CPU */
	struct reclaim later;
} per_cpu[HV_MAX_CPUS];

struct reclaim *reclaim_deferred_list(void)
{
	unsigned cpu = arch_cpu_id();

	return per_cpu[cpu].depth ? &per_cpu[cpu].later : NULL;
}

void hv_defer_frees_begin(void)
{
	per_cpu[arch_cpu_id()].depth++;
}

void hv_defer_frees_end(void)
{
	unsigned cpu = arch_cpu_id();

	per_cpu[cpu].depth--;
	reclaim_run(&per_cpu[cpu].later);
}
