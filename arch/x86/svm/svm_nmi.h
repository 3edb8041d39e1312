/* Guest NMIs on SVM (arch/x86/svm/svm_nmi.c): the virt ops, and the exit
 * hook that follows the guest's NMI blocking. */
#ifndef ARCH_X86_SVM_SVM_NMI_H
#define ARCH_X86_SVM_SVM_NMI_H

#include <stdbool.h>
#include "hv/virt.h"

bool svm_nmi_blocked(struct vcpu *v);
bool svm_nmi_allowed(struct vcpu *v);
void svm_inject_nmi(struct vcpu *v);
void svm_request_nmi_window(struct vcpu *v);
/* After every exit, before generic code sees e: ends the blocking once
 * the IRET has executed, and takes the exits that are only its own (the
 * IRET intercept, its single-step #DB) off generic code's hands
 * (VMEXIT_NONE). */
void svm_nmi_exit(struct vcpu *v, struct vm_exit *e);
/* A new register state (vcpu_set_state, INIT included) is in no NMI
 * handler: NMIs unblocked, as VMX's cleared interruptibility state. */
void svm_nmi_reset(struct vcpu *v);

#endif
