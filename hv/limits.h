/* Limits of the hypervisor's own tables, in one place. */
#ifndef HV_LIMITS_H
#define HV_LIMITS_H

/* CPUs the hypervisor brings up and tracks (boot/ takes at most this many
 * from the firmware; per-CPU arrays everywhere are this long). */
#define HV_MAX_CPUS 64

#endif
