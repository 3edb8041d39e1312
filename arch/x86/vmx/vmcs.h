/* VMCS field encodings (Intel SDM vol. 3, appendix B) and access. */
#ifndef ARCH_X86_VMX_VMCS_H
#define ARCH_X86_VMX_VMCS_H

#include <stdbool.h>
#include <stdint.h>
#include "arch/x86/percpu.h"

enum vmcs_field {
	VPID = 0x0000,
	GUEST_ES_SEL = 0x0800, GUEST_CS_SEL = 0x0802, GUEST_SS_SEL = 0x0804,
	GUEST_DS_SEL = 0x0806, GUEST_FS_SEL = 0x0808, GUEST_GS_SEL = 0x080a,
	GUEST_LDTR_SEL = 0x080c, GUEST_TR_SEL = 0x080e,
	HOST_ES_SEL = 0x0c00, HOST_CS_SEL = 0x0c02, HOST_SS_SEL = 0x0c04,
	HOST_DS_SEL = 0x0c06, HOST_FS_SEL = 0x0c08, HOST_GS_SEL = 0x0c0a, HOST_TR_SEL = 0x0c0c,
	EPT_POINTER = 0x201a,
	GUEST_PHYS_ADDR = 0x2400,
	VMCS_LINK_PTR = 0x2800,
	GUEST_DEBUGCTL = 0x2802, GUEST_PAT = 0x2804, GUEST_EFER = 0x2806,
	GUEST_PDPTE0 = 0x280a,   /* ..3 at +2 each: PAE paging with EPT */
	HOST_PAT = 0x2c00, HOST_EFER = 0x2c02,
	PIN_CONTROLS = 0x4000, PROC_CONTROLS = 0x4002, EXCEPTION_BITMAP = 0x4004,
	EXIT_CONTROLS = 0x400c, ENTRY_CONTROLS = 0x4012, ENTRY_INTR_INFO = 0x4016,
	ENTRY_EXC_ERROR = 0x4018, ENTRY_INSTR_LEN = 0x401a, PROC2_CONTROLS = 0x401e,
	VM_INSTR_ERROR = 0x4400, EXIT_REASON = 0x4402, EXIT_INTR_INFO = 0x4404,
	EXIT_INTR_ERROR = 0x4406, IDT_VECTORING_INFO = 0x4408, IDT_VECTORING_ERROR = 0x440a,
	EXIT_INSTR_LEN = 0x440c,
	GUEST_ES_LIMIT = 0x4800, GUEST_CS_LIMIT = 0x4802, GUEST_SS_LIMIT = 0x4804,
	GUEST_DS_LIMIT = 0x4806, GUEST_FS_LIMIT = 0x4808, GUEST_GS_LIMIT = 0x480a,
	GUEST_LDTR_LIMIT = 0x480c, GUEST_TR_LIMIT = 0x480e, GUEST_GDTR_LIMIT = 0x4810,
	GUEST_IDTR_LIMIT = 0x4812,
	GUEST_ES_AR = 0x4814, GUEST_CS_AR = 0x4816, GUEST_SS_AR = 0x4818, GUEST_DS_AR = 0x481a,
	GUEST_FS_AR = 0x481c, GUEST_GS_AR = 0x481e, GUEST_LDTR_AR = 0x4820, GUEST_TR_AR = 0x4822,
	GUEST_INTERRUPTIBILITY = 0x4824, GUEST_ACTIVITY = 0x4826, PREEMPT_TIMER = 0x482e,
	GUEST_SYSENTER_CS = 0x482a,
	HOST_SYSENTER_CS = 0x4c00,
	CR0_MASK = 0x6000, CR4_MASK = 0x6002, CR0_SHADOW = 0x6004, CR4_SHADOW = 0x6006,
	EXIT_QUALIFICATION = 0x6400,
	GUEST_CR0 = 0x6800, GUEST_CR3 = 0x6802, GUEST_CR4 = 0x6804,
	GUEST_ES_BASE = 0x6806, GUEST_CS_BASE = 0x6808, GUEST_SS_BASE = 0x680a,
	GUEST_DS_BASE = 0x680c, GUEST_FS_BASE = 0x680e, GUEST_GS_BASE = 0x6810,
	GUEST_LDTR_BASE = 0x6812, GUEST_TR_BASE = 0x6814, GUEST_GDTR_BASE = 0x6816,
	GUEST_IDTR_BASE = 0x6818, GUEST_DR7 = 0x681a, GUEST_RSP = 0x681c, GUEST_RIP = 0x681e,
	GUEST_RFLAGS = 0x6820, GUEST_PENDING_DBG = 0x6822, GUEST_SYSENTER_ESP = 0x6824, GUEST_SYSENTER_EIP = 0x6826,
	HOST_CR0 = 0x6c00, HOST_CR3 = 0x6c02, HOST_CR4 = 0x6c04, HOST_FS_BASE = 0x6c06,
	HOST_GS_BASE = 0x6c08, HOST_TR_BASE = 0x6c0a, HOST_GDTR_BASE = 0x6c0c,
	HOST_IDTR_BASE = 0x6c0e, HOST_SYSENTER_ESP = 0x6c10, HOST_SYSENTER_EIP = 0x6c12,
	HOST_RSP = 0x6c14, HOST_RIP = 0x6c16,
};

/* VMX capability and related MSRs */
#define MSR_VMX_PINBASED       0x481
#define MSR_VMX_PROCBASED      0x482
#define MSR_VMX_EXIT           0x483
#define MSR_VMX_ENTRY          0x484
#define MSR_VMX_MISC           0x485
#define MSR_VMX_CR0_FIXED0     0x486
#define MSR_VMX_CR0_FIXED1     0x487
#define MSR_VMX_CR4_FIXED0     0x488
#define MSR_VMX_CR4_FIXED1     0x489
#define MSR_VMX_PROCBASED2     0x48b
#define MSR_VMX_TRUE_PINBASED  0x48d
#define MSR_VMX_TRUE_PROCBASED 0x48e
#define MSR_VMX_TRUE_EXIT      0x48f
#define MSR_VMX_TRUE_ENTRY     0x490
#define MSR_FS_BASE            0xc0000100
#define MSR_GS_BASE            0xc0000101
#define EFER_LME               (1UL << 8)
#define EFER_LMA               (1UL << 10)

/* Exit reasons (basic, bits 15:0) */
#define EXIT_EXCEPTION_NMI   0
#define EXIT_EXTERNAL_INTR   1
#define EXIT_TRIPLE_FAULT    2
#define EXIT_INTR_WINDOW     7
#define EXIT_NMI_WINDOW      8
#define EXIT_CPUID           10
#define EXIT_CR_ACCESS       28
#define EXIT_XSETBV          55
#define EXIT_HLT             12
#define EXIT_INVD            13
#define EXIT_RDPMC           15
#define EXIT_VMCALL          18
#define EXIT_VMCLEAR         19      /* 19-27: VMCLEAR .. VMXON */
#define EXIT_VMXON           27
#define EXIT_IO              30
#define EXIT_RDMSR           31
#define EXIT_WRMSR           32
#define EXIT_INVALID_STATE   33
#define EXIT_MWAIT           36
#define EXIT_MONITOR         39
#define EXIT_EPT_VIOLATION   48
#define EXIT_EPT_MISCONFIG   49
#define EXIT_INVEPT          50
#define EXIT_PREEMPT_TIMER   52
#define EXIT_INVVPID         53
#define EXIT_WBINVD          54
#define EXIT_VMFUNC          59
#define EXIT_ENTRY_FAILED    (1u << 31)

/* Guest interruptibility state; the NMI-window control. */
#define BLOCKED_BY_STI_MOVSS 3u
#define BLOCKED_BY_NMI       (1u << 3)
#define PROC_NMI_WINDOW      (1u << 22)

/* Interruption information (exit, IDT-vectoring and entry share it):
 * vector 7:0, type 10:8, error code valid 11, valid 31. */
#define INTR_INFO_VALID      (1u << 31)
#define INTR_INFO_HAS_ERROR  (1u << 11)
/* Exit interruption info, and EPT-violation qualification: a fault during
 * an IRET that had unblocked (virtual) NMIs. */
#define INTR_INFO_UNBLOCK_NMI (1u << 12)
#define INTR_INFO_TYPE(x)    (((x) >> 8) & 7)
#define INTR_TYPE_NMI        2
#define INTR_TYPE_HW_EXC     3
#define INTR_TYPE_SOFT_INT   4    /* INT n */
#define INTR_TYPE_PRIV_SOFT  5    /* ICEBP */
#define INTR_TYPE_SOFT_EXC   6    /* INT3, INTO */

/* What each CPU's VMX round trips cost in VMCS traffic (issue 14):
 * logged at shutdown (vmx_log_counts, info; make bench-guest reads it). Plain
 * per-CPU increments: an NMI-time write racing one may lose a count. */
struct vmx_counts {
	uint64_t vmwrites;     /* vmwrite() and the entry stub's HOST_RSP */
	uint64_t entries;      /* VMLAUNCH + VMRESUME */
	uint64_t launches;     /* VMLAUNCH */
	uint64_t vmptrlds, vmclears;
	uint64_t host_loads;   /* vmcs_write_host_state */
};
extern struct vmx_counts vmx_counts[HV_MAX_CPUS];

static inline struct vmx_counts *vmx_count(void)
{
	return &vmx_counts[this_cpu()->id];
}

static inline uint64_t vmread(uint64_t field)
{
	uint64_t v = 0;
	__asm__ volatile("vmread %1, %0" : "=rm"(v) : "r"(field) : "cc");
	return v;
}

/* 0, or -1 if the CPU refused (VMfail): the VM-instruction error says why. */
static inline int vmwrite(uint64_t field, uint64_t value)
{
	uint8_t fail;
	vmx_count()->vmwrites++;
	__asm__ volatile("vmwrite %2, %1; setna %0" : "=qm"(fail) : "r"(field), "rm"(value) : "cc");
	return fail ? -1 : 0;
}

const char *vmx_instruction_error_name(uint64_t err);
const char *vmx_exit_reason_name(uint64_t reason);
/* The sums of vmx_counts over every CPU, as a debug line. */
void vmx_log_counts(void);

/* The VMCS access-rights format from the ABI's packed one (struct
 * sv_segment): descriptor bits 52-55 move from attr bits 8-11 to AR bits
 * 12-15; a segment with P (bit 7) clear is "unusable" (AR bit 16). The
 * other bits stay even then: SS.DPL is the CPL whether SS is usable or
 * not (SDM vol. 3, 28.3.2.2), as the VMCB's CPL is on SVM. */
static inline uint32_t vmx_ar(uint16_t attr)
{
	return (attr & 0xffu) | ((attr & 0xf00u) << 4) | (attr & 0x80u ? 0 : 0x10000u);
}

struct sv_regs;
struct sv_sregs;
void vmcs_write_host_state(void);
/* A whole register state (vcpu_set_state), and the guest fields no
 * register state changes (once, at vcpu_init). */
void vmcs_write_guest_state(const struct sv_regs *r, const struct sv_sregs *s, bool unrestricted);
void vmcs_write_guest_fixed(void);

#endif
