/* Starting and waking control-partition vCPUs on their CPUs (hv/cpu_work.c). */
#ifndef HV_CPU_WORK_H
#define HV_CPU_WORK_H

/* CPUs online: control-partition vCPU n runs on CPU n. */
extern unsigned hv_nr_cpus;
/* Where every CPU but the boot CPU ends up once it is set up: it sleeps
 * until its control-partition vCPU is started, then runs it. */
__attribute__((noreturn)) void hv_cpu_main(unsigned cpu);
/* Wakes CPU `cpu` to run its control-partition vCPU (VCPU_START). */
void hv_start_cpu_work(unsigned cpu);
/* Control vCPU `cpu` executed HLT: sleep until hv_wake_control_vcpu. */
void hv_control_vcpu_halt(unsigned cpu);
void hv_wake_control_vcpu(unsigned cpu);

#endif
