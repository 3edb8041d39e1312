/* The machine every hv/ host test starts from (tests/unit/unit.h). */
#include <string.h>
#include "hv/hypercall.h"
#include "hv/shootdown.h"
#include "hv/vm.h"
#include "tests/unit/fake_virt.h"
#include "tests/unit/unit.h"

void unit_machine(size_t bytes)
{
	arena_pmm(0, bytes);
	memset(vms, 0, sizeof(vms));
	memset(cpu_state, 0, sizeof(cpu_state));
	memset(vm_cpus, 0, sizeof(vm_cpus));
	fake_reset();
	fake_set_cpu(0);
	fake_nr_tags = SV_MAX_VMS + 1;
}

int64_t unit_hc(struct vm *caller, uint64_t nr, uint64_t a, uint64_t b, uint64_t c, uint64_t d,
		uint64_t e)
{
	return hypercall_dispatch(caller, (uint64_t[7]){ nr, a, b, c, d, e, 0 });
}
