/*
 * A vCPU's full register state (struct sv_regs + struct sv_sregs): the
 * 64-bit start VCPU_CREATE gives, and the checks every state passes before
 * a backend sees it, so that a bad state is -EINVAL at SET time rather
 * than an entry the CPU refuses. Host-testable: no backend here.
 */
#ifndef HV_VCPU_STATE_H
#define HV_VCPU_STATE_H

#include <sealvisor/hypercall.h>

/* What the host CPU can give a guest (vcpu_state_host_limits). */
struct vcpu_state_limits {
	uint64_t cr4_ok;           /* CR4 bits a guest may have */
	unsigned phys_bits;        /* physical-address width: CR3 stays below */
};

/* The state VCPU_CREATE starts a vCPU in: 64-bit mode, flat segments
 * (CS 0x08, data 0x10, TR 0x18), paging on with r->cr3, x87/SSE on. */
void vcpu_state_default(const struct sv_vcpu_regs *r, struct sv_regs *regs, struct sv_sregs *s);

/* The architectural state after INIT (SDM vol. 3, table 10-1 "INIT";
 * README "MP state"): real mode at 0xf000:0xfff0 (CS base 0xffff0000),
 * data segments 0 with 64 KiB limits, GDTR/IDTR limit 0xffff, CR0 CD NW
 * ET plus NE (which vcpu_state_check requires: VMX cannot enter without
 * it), CR3 CR4 EFER 0, RFLAGS 2, every GPR 0 (EDX too: no processor
 * signature; CPUID tells it). */
void vcpu_state_init(struct sv_regs *r, struct sv_sregs *s);
/* A SIPI with vector vv to a vCPU in the INIT state: CS selector vv << 8,
 * base vv << 12, IP 0; nothing else changes. */
void vcpu_state_sipi(struct sv_regs *r, struct sv_sregs *s, uint8_t vv);

/* 0, or -EINVAL with *why naming the rule broken (a static string). */
int vcpu_state_check(const struct sv_regs *r, const struct sv_sregs *s,
		     const struct vcpu_state_limits *lim, const char **why);

/* This CPU's limits, from CPUID. */
void vcpu_state_host_limits(struct vcpu_state_limits *lim);

/* The architectural register bits the checks name. */
#define X86_CR0_PE (1UL << 0)
#define X86_CR0_NE (1UL << 5)
#define X86_CR0_NW (1UL << 29)
#define X86_CR0_CD (1UL << 30)
#define X86_CR0_PG (1UL << 31)
#define X86_CR4_PAE (1UL << 5)
#define X86_CR4_PCIDE (1UL << 17)
#define X86_EFER_LME (1UL << 8)
#define X86_EFER_LMA (1UL << 10)
#define X86_RFLAGS_VM (1UL << 17)

#endif
