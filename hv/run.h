#ifndef HV_RUN_H
#define HV_RUN_H

#include <sealvisor/hypercall.h>
#include "hv/vm.h"

/* VCPU_RUN: runs a guest vCPU until an exit for its VMM, described in run.
 * The caller owns v (v->running) for the duration. */
int64_t vcpu_run_for_vmm(struct vcpu *v, struct sv_run *run);
/* Runs control-partition vCPU `id` on this CPU for ever (the machine ends
 * via SYSTEM_SHUTDOWN). */
__attribute__((noreturn)) void control_run(struct vm *control, unsigned id);
/* CPUID as vm (NULL: any partition without a table) sees it: its table
 * (VM_SET_CPUID) or the host's without SVM/VMX; leaves 0x400000xx ours. */
void cpuid_emulate(const struct vm *vm, struct guest_regs *r);
/* cpuid_emulate for v's VM, then what depends on v: OSXSAVE from its CR4,
 * the XSAVE leaf from its XCR0 (hv/xstate_policy.h). */
void cpuid_emulate_vcpu(struct vcpu *v);

#endif
