/* Guest NMIs on VMX (arch/x86/vmx/vmx_nmi.c). */
#ifndef ARCH_X86_VMX_VMX_NMI_H
#define ARCH_X86_VMX_VMX_NMI_H

#include <stdbool.h>
#include <stdint.h>
#include "hv/virt.h"

/* Set once by vmx.c's setup_controls: virtual NMIs (pin-based bit 5),
 * without which guests get no NMIs, and NMI-window exiting. */
extern struct vmx_nmi_caps { bool vnmi, window; } vmx_nmi_caps;

#include "arch/x86/vmx/vmcs_cache.h"   /* vmx_load */

bool vmx_nmi_blocked(struct vcpu *v);
bool vmx_nmi_allowed(struct vcpu *v);
void vmx_inject_nmi(struct vcpu *v);
void vmx_request_nmi_window(struct vcpu *v);
/* After every exit, before requeue_event: blocking back on if the exit
 * came in the middle of an IRET that had ended it. */
void vmx_nmi_recover_blocking(uint64_t reason, uint64_t q);

#endif
