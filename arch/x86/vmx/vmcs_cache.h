/* Which CPU holds each vCPU's VMCS, and moving it (arch/x86/vmx/vmcs_cache.c). */
#ifndef ARCH_X86_VMX_VMCS_CACHE_H
#define ARCH_X86_VMX_VMCS_CACHE_H

#include <stdbool.h>
#include <stdint.h>

struct vcpu;

/* v->arch on VMX. cpu and launched follow the invariants in vmcs_cache.c. */
struct vmx_vcpu {
	int cpu;                    /* the CPU on which its VMCS is active, or -1 */
	bool launched;              /* VMLAUNCHed since it became active on cpu */
	uint64_t host_rsp;          /* HOST_RSP in its VMCS (the entry stub skips an equal write) */
	uint32_t preempt_ticks;     /* VMX preemption timer, loaded at each entry */
};

/* Makes v's VMCS current on this CPU: VMCLEARed first on the CPU that
 * holds it if that is another one (a kick, then a wait), host state
 * written only when it becomes active here. The caller owns v. */
void vmx_load(struct vcpu *v);
/* v's VMCS active nowhere (VMCLEARed where it was): before its page is
 * freed. The caller owns v. */
void vmcs_evict(struct vcpu *v);
/* From the NMI handler (vmx_on_nmi): VMCLEARs what another CPU asked. */
void vmcs_serve_clear(void);
/* VMCLEAR requests that reached a CPU not holding the VMCS (a broken
 * invariant 4, counted: the NMI handler does not log). */
extern uint64_t vmcs_bad_clear_requests;

/* What the bookkeeping drives, on the calling CPU: VMCLEAR, VMPTRLD, the
 * host-state fields of the current VMCS (vmcs.c), and the NMI that makes
 * `cpu` run vmcs_serve_clear. vmx.c has the real ones. */
void vmcs_hw_clear(uint64_t pa);
void vmcs_hw_load(uint64_t pa);
void vmcs_write_host_state(void);
/* 0, or -EIO if the APIC never reported the NMI delivered. */
int vmcs_hw_send_nmi(unsigned cpu);
/* Waiting spins after which a VMCLEAR request's NMI is sent again. */
#define VMCLEAR_RESEND_SPINS (1UL << 20)

#endif
