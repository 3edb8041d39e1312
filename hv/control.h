#ifndef HV_CONTROL_H
#define HV_CONTROL_H

#include "hv/boot_info.h"

/* Loads and runs the control partition; returns only on failure (-errno),
 * -ENOENT if the configuration names none. */
int control_start(const struct boot_info *bi);
/* The control partition's RAM at gpa 0. */
#define CONTROL_RAM (64UL << 20)

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
