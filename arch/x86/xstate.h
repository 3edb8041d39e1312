/*
 * Each vCPU's extended state (x87, SSE, AVX, AVX-512) and XCR0, switched
 * eagerly around every guest entry (docs/ARCHITECTURE.md, "Extended
 * state"): no register value crosses between partitions, in either
 * direction, and a vCPU's state follows it to whatever CPU runs it next.
 */
#ifndef ARCH_X86_XSTATE_H
#define ARCH_X86_XSTATE_H

#include <stdint.h>

struct vcpu;

/* This CPU: CR0.MP/NE on, EM/TS off, CR4.OSFXSR/OSXMMEXCPT/OSXSAVE, the
 * host XCR0. The first call also reads the XSAVE layout (CPUID 0xD). */
void xstate_cpu_init(void);
/* The vCPU's area in its architectural reset state; XCR0 = XCR0_RESET. */
int xstate_vcpu_init(struct vcpu *v);
void xstate_vcpu_destroy(struct vcpu *v);
/* Right before entry / right after exit, with interrupts off. */
void xstate_load_guest(struct vcpu *v);
void xstate_save_guest(struct vcpu *v);
/* XSETBV by v at cpl: 0 (applied: skip the instruction) or -EINVAL
 * (inject #GP). */
int xstate_xsetbv(struct vcpu *v, uint32_t ecx, uint64_t value, unsigned cpl);

#endif
