/*
 * The VMM as the attacker of the guest it runs (issue 15, item 6): while a
 * `qemu -kernel` guest (a Linux kernel, say) runs, vCPU 0's run loop every
 * PROBE_EVERY exits tries to read, write and map (read-only and writable)
 * the guest's GUEST-sealed memory object. Each try must be refused with
 * -EPERM and leave the VMM's buffer as it was; one that is not fails the
 * guest, as the hypervisor's isolation would be broken. The tally is
 * printed when the guest stops, for the run's checks (tests/linux/run.sh).
 */
#ifndef SEALVISOR_VMM_MEMORY_PROBE_H
#define SEALVISOR_VMM_MEMORY_PROBE_H

#include "guest/vmm/vmm.h"

#define PROBE_EVERY 512u

void memory_probe(struct guest *g);
void memory_probe_report(const struct guest *g);

#endif
