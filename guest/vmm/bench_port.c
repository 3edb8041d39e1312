/* The benchmark's port (layout.h BENCH_PORT, tests/guests/bench-guest.c):
 * a port-I/O exit the VMM serves itself, so the guest can time the whole
 * trip guest -> hypervisor -> VMM -> hypervisor -> guest. */
#include "guest/vmm/vmm.h"

/* A 32-bit IN answers how many such reads this guest has made, counting
 * this one: a read nobody served (all ones) or served twice shows. */
void bench_port_io(struct guest *g, struct sv_run *run)
{
	if (run->io.is_write || run->io.size != 4)
		return guest_fail(g, "bench port: only 32-bit reads", 0);
	run->io.data = ++g->bench_port_reads;
}
