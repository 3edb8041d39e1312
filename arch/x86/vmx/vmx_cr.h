/* VMX exits for CR0/CR4 writes and XSETBV (arch/x86/vmx/vmx_cr.c). */
#ifndef ARCH_X86_VMX_VMX_CR_H
#define ARCH_X86_VMX_VMX_CR_H

#include <stdbool.h>
#include "hv/virt.h"

/* Handles e if it is one of those exits (the write applied, or #GP
 * injected): true, and the vCPU just goes back in. v's VMCS is current. */
bool vmx_cr_xsetbv_exit(struct vcpu *v, const struct vm_exit *e);
/* Panics unless EFER.LMA, the IA-32e entry control and CR0.PG with
 * EFER.LME agree (invariant 26); v's VMCS is current. */
void vmx_check_long_mode(struct vcpu *v);

#endif
