/*
 * RDMSR/WRMSR by partitions (docs/ARCHITECTURE.md "MSRs"). Every MSR
 * access exits; the allow list below is switched per vCPU by the backend
 * and emulated here; any other MSR follows the VM's policy: #GP, or an
 * SV_EXIT_MSR for its VMM.
 */
#ifndef HV_MSR_H
#define HV_MSR_H

#include <stdbool.h>
#include <stdint.h>

struct vm;
struct vcpu;

#define MSR_IA32_SPEC_CTRL    0x48
#define MSR_IA32_SYSENTER_CS  0x174
#define MSR_IA32_SYSENTER_ESP 0x175
#define MSR_IA32_SYSENTER_EIP 0x176
#define MSR_IA32_PAT          0x277
#define MSR_IA32_APIC_BASE    0x1b
#define MSR_IA32_EFER         0xc0000080
#define MSR_IA32_STAR         0xc0000081
#define MSR_IA32_LSTAR        0xc0000082
#define MSR_IA32_CSTAR        0xc0000083
#define MSR_IA32_SFMASK       0xc0000084
#define MSR_IA32_FS_BASE      0xc0000100
#define MSR_IA32_GS_BASE      0xc0000101
#define MSR_IA32_KERNEL_GS_BASE 0xc0000102
#define MSR_IA32_TSC_AUX      0xc0000103

/* EFER's bits: hv/cr_policy.h (its rules are the mode-switch rules). */

/* The IA32_SPEC_CTRL bits this CPU has (IBRS, STIBP, SSBD as CPUID
 * enumerates them), set once at boot (arch/x86/cpu_features.c). The
 * guest's value is written by the host before entry (guest_switch.c): a
 * bit the CPU lacks would #GP there, in the hypervisor. */
extern uint64_t msr_spec_ctrl_bits;

/* On the allow list (whether or not this CPU has it). */
bool msr_allowed(uint32_t index);
/*
 * The RDMSR (write false) or WRMSR in v's registers (ECX, EDX:EAX). True
 * if finished here: emulated (RIP moved on) or #GP injected. False if
 * the VM's policy sends it to the VMM: the caller makes the SV_EXIT_MSR.
 */
bool msr_emulate(struct vcpu *v, bool write);
/* SV_HC_VM_SET_MSR_POLICY: 0, -EINVAL for an unknown policy, -EPERM
 * after finalize (it is part of the launch). */
int msr_set_policy(struct vm *vm, uint64_t policy);
/* What the launch measurement records for the policy (record type 6). */
uint64_t msr_policy_word(const struct vm *vm);

#endif
