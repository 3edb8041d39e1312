/* SVM intercepts of CR0/CR4 writes and XSETBV (arch/x86/svm/svm_cr.c). */
#ifndef ARCH_X86_SVM_SVM_CR_H
#define ARCH_X86_SVM_SVM_CR_H

#include <stdbool.h>
#include "hv/virt.h"

/* Handles e if it is one of those exits (the write applied, or #GP
 * injected): true, and the vCPU just goes back in. */
bool svm_cr_xsetbv_exit(struct vcpu *v, const struct vm_exit *e);
uint64_t svm_get_cr4(struct vcpu *v);
uint64_t svm_get_cr0(struct vcpu *v);
/* The guest's EFER (no SVME), and setting it after CR0 is in place. */
uint64_t svm_efer_get(struct vcpu *v);
void svm_efer_set(struct vcpu *v, uint64_t efer);

#endif
