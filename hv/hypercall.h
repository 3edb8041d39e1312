#ifndef HV_HYPERCALL_H
#define HV_HYPERCALL_H

#include <stdbool.h>
#include <stdint.h>
#include "hv/vm.h"

/* Runs hypercall a[0] for `caller` with arguments a[1..6]; returns what the
 * caller sees in RAX (>= 0 or -errno). Every argument is checked. */
int64_t hypercall_dispatch(struct vm *caller, const uint64_t a[7]);
/* VCPU_GET/SET_(S)REGS nr of vm (NULL: none) vCPU id, struct at the
 * caller's gpa (hv/vcpu_regs.c); hv_lock held. */
int64_t vcpu_regs_call(struct vm *caller, struct vm *vm, unsigned nr, uint64_t id, uint64_t gpa);
/* VCPU_SET_MP_STATE / VCPU_GET_MP_STATE of vm (NULL: none) vCPU id
 * (hv/vcpu_regs.c); hv_lock held. */
int64_t vcpu_mp_set_call(struct vm *vm, uint64_t id, uint64_t state);
int64_t vcpu_mp_get_call(struct vm *vm, uint64_t id);
/* VM_SET_CPUID (hv/cpuid_policy.c); hv_lock held. */
int64_t vm_set_cpuid_call(struct vm *caller, struct vm *vm, uint64_t gpa, uint64_t nr);

/* Test builds: audit every stage-2 table after each hypercall, or (a
 * guest too big for that, e.g. Linux) after every Nth one; the count of
 * audits run, all clean (a failed one panics). */
extern bool hypercall_audit;
extern unsigned hypercall_audit_every;
extern uint64_t hypercall_audits;

#endif
