/*
 * VMX TLB tagging: a VM's VPID and EPTP, and the INVEPT before an entry
 * that needs one. Kept apart from vmx.c so that host tests can check the
 * flush decision against a recording vmx_invept_single (the emulators
 * flush on every world switch, so a missing INVEPT would pass every boot
 * test).
 */
#ifndef ARCH_X86_VMX_VMX_TLB_H
#define ARCH_X86_VMX_VMX_TLB_H

#include <stdbool.h>
#include <stdint.h>

struct vm;
struct vcpu;

/* VPID 0 is the host's: VM slot n gets VPID n + 1 if the CPU has VPIDs,
 * else 0 (then every entry and exit flushes the linear mappings). */
void vmx_assign_vpid(struct vm *vm, bool have_vpid);
uint64_t vmx_eptp(const struct vm *vm);
/* Before VM entry of v (its VMCS current): INVEPT single-context if
 * vcpu_enter says the VM's translations here may be stale. That drops the
 * guest-physical and the combined (VPID-tagged) mappings of the EPTP,
 * which is all a stage-2 change needs. */
void vmx_tlb_prepare(struct vcpu *v);
/* The INVEPT instruction (vmx.c; host tests record it). */
void vmx_invept_single(uint64_t eptp);

#endif
