/*
 * VMCB clean bits (AMD APM vol. 2, 15.15.3 "VMCB Clean Field"). A set bit
 * lets VMRUN reuse the state the CPU cached for that group of fields the
 * last time it ran this VMCB, instead of reading it from memory.
 *
 * Invariant: a group's bit is set at VMRUN only if (a) this VMCB last ran
 * on this same CPU (arch_cpu) and (b) nothing in the group was written
 * since (arch_dirty). Every hypervisor write of a cached field goes
 * through vmcb_put*, which marks its group dirty when the value changes;
 * a move to another CPU, a new vCPU and a whole new state (set_state)
 * clear every bit. Fields the CPU never caches (RIP, RSP, RAX, RFLAGS,
 * EVENTINJ, TLB_CONTROL, the interrupt shadow, the VMLOAD/VMSAVE state)
 * need no bit; vmcb_put* still counts their writes.
 *
 * Host-testable: no hardware here (tests/unit/test_vmcb_clean.c).
 */
#ifndef ARCH_X86_SVM_VMCB_CLEAN_H
#define ARCH_X86_SVM_VMCB_CLEAN_H

#include <stdint.h>
#include "arch/x86/svm/vmcb.h"
#include "hv/arch.h"
#include "hv/limits.h"
#include "hv/partition.h"

enum vmcb_clean_group {
	VMCB_CLEAN_INTERCEPTS = 0,   /* intercept vectors, pause filter, TSC offset */
	VMCB_CLEAN_IOPM = 1,         /* IOPM and MSRPM base addresses */
	VMCB_CLEAN_ASID = 2,
	VMCB_CLEAN_TPR = 3,          /* the V_INTR word: V_TPR, V_IRQ, priority, masking */
	VMCB_CLEAN_NP = 4,           /* NP_ENABLE, N_CR3, G_PAT */
	VMCB_CLEAN_CRX = 5,          /* CR0, CR3, CR4, EFER */
	VMCB_CLEAN_DRX = 6,          /* DR6, DR7 */
	VMCB_CLEAN_DT = 7,           /* GDTR, IDTR */
	VMCB_CLEAN_SEG = 8,          /* CS, DS, SS, ES, CPL */
	VMCB_CLEAN_CR2 = 9,
	VMCB_CLEAN_LBR = 10,
	VMCB_CLEAN_AVIC = 11,
};
#define VMCB_CLEAN_ALL 0xfffu        /* bits 31:12 are reserved: left 0 */

#define VMCB_CR2 0x640
#define VMCB_LBR_FIRST 0x670
#define VMCB_LBR_END   0x698
/* AVIC (unused): APIC_BAR, backing page, logical and physical tables. */
#define VMCB_AVIC_BAR      0x098
#define VMCB_AVIC_BACKING  0x0e0
#define VMCB_AVIC_LOGICAL  0x0f0
#define VMCB_AVIC_PHYSICAL 0x0f8

/* The group a VMCB byte offset belongs to, or -1: not cached. */
static inline int vmcb_clean_group(unsigned off)
{
	if (off < 0x018 || (off >= 0x03c && off < 0x040) || off == 0x050)
		return VMCB_CLEAN_INTERCEPTS;
	if (off == VMCB_IOPM_BASE || off == VMCB_MSRPM_BASE)
		return VMCB_CLEAN_IOPM;
	if (off == VMCB_ASID)
		return VMCB_CLEAN_ASID;
	if (off >= VMCB_VINTR && off < VMCB_VINTR + 8)
		return VMCB_CLEAN_TPR;
	if (off == VMCB_NP_ENABLE || off == VMCB_NCR3 || off == VMCB_GPAT)
		return VMCB_CLEAN_NP;
	if (off == VMCB_EFER || (off >= VMCB_CR4 && off < VMCB_CR0 + 8))
		return VMCB_CLEAN_CRX;
	if (off == VMCB_DR7 || off == VMCB_DR6)
		return VMCB_CLEAN_DRX;
	if ((off >= VMCB_GDTR && off < VMCB_GDTR + 16) || (off >= VMCB_IDTR && off < VMCB_IDTR + 16))
		return VMCB_CLEAN_DT;
	if ((off >= VMCB_ES && off < VMCB_DS + 16) || off == VMCB_CPL)
		return VMCB_CLEAN_SEG;
	if (off == VMCB_CR2)
		return VMCB_CLEAN_CR2;
	if (off >= VMCB_LBR_FIRST && off < VMCB_LBR_END)
		return VMCB_CLEAN_LBR;
	if (off == VMCB_AVIC_BAR || off == VMCB_AVIC_BACKING || off == VMCB_AVIC_LOGICAL ||
	    off == VMCB_AVIC_PHYSICAL)
		return VMCB_CLEAN_AVIC;
	return -1;
}

/* Field writes by the hypervisor (every vmcb_put* that changed a value),
 * per CPU, for the count at shutdown: plain increments of this CPU's own
 * slot, no locked add on every write (an NMI-time write racing one may
 * lose a count, as VMX's vmx_counts). */
extern uint64_t vmcb_field_writes[HV_MAX_CPUS];
uint64_t vmcb_field_writes_total(void);
/* svm.c: the writes, the VMRUNs, those with no clean bit and the timer arms, logged (info) at shutdown. */
void svm_log_counts(void);

static inline void vmcb_mark(struct vcpu *v, unsigned off)
{
	int g = vmcb_clean_group(off);

	if (g >= 0)
		v->arch_dirty |= 1u << g;
	vmcb_field_writes[arch_cpu_id()]++;
}

/* vmcb_put64/32/16/8: the only way to write a cached field. */
#define VMCB_PUT(name, type)                                                   \
	static inline void name(struct vcpu *v, unsigned off, type val)       \
	{                                                                      \
		type *f = (type *)vmcb8(v->arch, off);                         \
                                                                               \
		if (*f != val) {                                               \
			*f = val;                                              \
			vmcb_mark(v, off);                                     \
		}                                                              \
	}
VMCB_PUT(vmcb_put64, uint64_t)
VMCB_PUT(vmcb_put32, uint32_t)
VMCB_PUT(vmcb_put16, uint16_t)
VMCB_PUT(vmcb_put8, uint8_t)

/* Everything written: a new VMCB, a whole new state. */
static inline void vmcb_all_dirty(struct vcpu *v)
{
	v->arch_cpu = -1;
}

/* The clean field for a VMRUN of v on `cpu`, and the bookkeeping reset
 * for the run after it. */
static inline uint32_t vmcb_clean_for_entry(struct vcpu *v, int cpu)
{
	uint32_t clean = v->arch_cpu == cpu ? VMCB_CLEAN_ALL & ~v->arch_dirty : 0;

	v->arch_cpu = cpu;
	v->arch_dirty = 0;
	return clean;
}

#endif
