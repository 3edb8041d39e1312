/*
 * SVM: the guest MSRs whose copy lives in the VMCB (VMRUN, or the
 * VMLOAD/VMSAVE around it, switches them). Kept apart from svm.c so that
 * host tests can check a write against the VMCB clean bits (invariant
 * 35): G_PAT is a cached field (the NP group), the rest are not.
 */
#ifndef ARCH_X86_SVM_SVM_MSR_H
#define ARCH_X86_SVM_SVM_MSR_H

#include <stdint.h>

struct vcpu;

/* 0 and the guest's value, or -ENOENT: not in the VMCB (EFER is
 * svm_cr.c's, the rest guest_switch.c's). */
int svm_vmcb_msr_get(struct vcpu *v, uint32_t index, uint64_t *value);
/* A value hv/msr.c checked; 0, or -ENOENT as above. */
int svm_vmcb_msr_set(struct vcpu *v, uint32_t index, uint64_t value);

#endif
