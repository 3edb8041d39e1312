/*
 * Control-partition vCPU n runs on CPU n. A CPU other than the boot CPU
 * sleeps until its vCPU is started (CONTROL_VCPU_START), then runs it for
 * ever; while that vCPU halts (it waits for work), the CPU sleeps until
 * CONTROL_VCPU_WAKE. Both hand-offs set a flag and then kick the CPU, and
 * the sleeper re-checks the flag after every wake-up, so a wake-up that
 * comes before the sleep is never lost.
 */
#include "arch/x86/x86.h"
#include "hv/cpu_work.h"
#include "hv/log.h"
#include "hv/run.h"
#include "hv/shootdown.h"
#include "hv/vm.h"

unsigned hv_nr_cpus = 1;
static volatile bool cpu_has_work[HV_MAX_CPUS];

void hv_start_cpu_work(unsigned cpu)
{
	__atomic_store_n(&cpu_has_work[cpu], true, __ATOMIC_RELEASE);
	virt->kick_cpu(cpu);          /* out of its HLT */
}

static volatile bool vcpu_wake[HV_MAX_CPUS];

void hv_wake_control_vcpu(unsigned cpu)
{
	__atomic_store_n(&vcpu_wake[cpu], true, __ATOMIC_SEQ_CST);
	virt->kick_cpu(cpu);
}

/* The flag is set before the kick and consumed here, so a wake-up that
 * comes before the HLT exit is not lost. */
void hv_control_vcpu_halt(unsigned cpu)
{
	while (!__atomic_exchange_n(&vcpu_wake[cpu], false, __ATOMIC_SEQ_CST))
		cpu_idle();
}

void hv_cpu_main(unsigned cpu)
{
	while (!__atomic_load_n(&cpu_has_work[cpu], __ATOMIC_ACQUIRE))
		cpu_idle();
	log_info("control: vCPU %u started on CPU %u\n", cpu, cpu);
	control_run(vm_get(0), cpu);     /* the control partition is VM 0 */
}
