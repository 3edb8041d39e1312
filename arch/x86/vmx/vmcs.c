#include <sealvisor/hypercall.h>
#include "arch/x86/desc.h"
#include "arch/x86/vmx/vmcs.h"
#include "arch/x86/vmx/vmcs_cache.h"
#include "arch/x86/x86.h"
#include "hv/log.h"
#include "hv/vcpu_state.h"

struct vmx_counts vmx_counts[HV_MAX_CPUS];

void vmx_log_counts(void)
{
	struct vmx_counts t = { 0 };

	for (unsigned i = 0; i < HV_MAX_CPUS; i++) {
		t.vmwrites += vmx_counts[i].vmwrites;
		t.entries += vmx_counts[i].entries;
		t.launches += vmx_counts[i].launches;
		t.vmptrlds += vmx_counts[i].vmptrlds;
		t.vmclears += vmx_counts[i].vmclears;
		t.host_loads += vmx_counts[i].host_loads;
	}
	log_info("vmx: %lu VMWRITEs in %lu entries (%lu VMLAUNCH, %lu VMPTRLD, %lu VMCLEAR, "
		  "%lu host-state loads)\n", t.vmwrites, t.entries, t.launches, t.vmptrlds,
		  t.vmclears, t.host_loads);
	if (vmcs_bad_clear_requests)
		log_err("vmx: %lu VMCLEAR requests to a CPU that did not hold the VMCS\n",
			vmcs_bad_clear_requests);
}

/* VM-instruction error numbers (SDM vol. 3, 31.4), by name for the log. */
const char *vmx_instruction_error_name(uint64_t err)
{
	static const char *const names[] = {
		[1] = "VMCALL in VMX root operation",
		[2] = "VMCLEAR with invalid address",
		[3] = "VMCLEAR with VMXON pointer",
		[4] = "VMLAUNCH with non-clear VMCS",
		[5] = "VMRESUME with non-launched VMCS",
		[6] = "VMRESUME after VMXOFF",
		[7] = "VM entry with invalid control field(s)",
		[8] = "VM entry with invalid host-state field(s)",
		[9] = "VMPTRLD with invalid address",
		[10] = "VMPTRLD with VMXON pointer",
		[11] = "VMPTRLD with incorrect VMCS revision identifier",
		[12] = "VMREAD/VMWRITE from/to unsupported VMCS component",
		[13] = "VMWRITE to read-only VMCS component",
		[15] = "VMXON in VMX root operation",
		[16] = "VM entry with invalid executive-VMCS pointer",
		[17] = "VM entry with non-launched executive VMCS",
		[18] = "VM entry with executive-VMCS pointer not VMXON pointer",
		[19] = "VMCALL with non-clear VMCS",
		[20] = "VMCALL with invalid VM-exit control fields",
		[22] = "VMCALL with incorrect MSEG revision identifier",
		[23] = "VMXOFF under dual-monitor treatment",
		[24] = "VMCALL with invalid SMM-monitor features",
		[25] = "VM entry with invalid VM-execution control fields in executive VMCS",
		[26] = "VM entry with events blocked by MOV SS",
		[28] = "invalid operand to INVEPT/INVVPID",
	};
	if (err < sizeof(names) / sizeof(names[0]) && names[err])
		return names[err];
	return "unknown VM-instruction error";
}

const char *vmx_exit_reason_name(uint64_t reason)
{
	static const char *const names[] = {
		[0] = "exception or NMI", [1] = "external interrupt", [2] = "triple fault",
		[3] = "INIT", [4] = "SIPI", [7] = "interrupt window", [8] = "NMI window",
		[9] = "task switch", [10] = "CPUID", [12] = "HLT", [13] = "INVD", [14] = "INVLPG",
		[15] = "RDPMC", [16] = "RDTSC", [18] = "VMCALL", [19] = "VMCLEAR",
		[20] = "VMLAUNCH", [21] = "VMPTRLD", [22] = "VMPTRST", [23] = "VMREAD",
		[24] = "VMRESUME", [25] = "VMWRITE", [26] = "VMXOFF", [27] = "VMXON",
		[28] = "control-register access", [29] = "MOV DR", [30] = "I/O instruction",
		[31] = "RDMSR", [32] = "WRMSR", [33] = "entry failure: invalid guest state",
		[34] = "entry failure: MSR loading", [36] = "MWAIT", [39] = "MONITOR",
		[40] = "PAUSE", [41] = "entry failure: machine check", [43] = "TPR below threshold",
		[44] = "APIC access", [48] = "EPT violation", [49] = "EPT misconfiguration",
		[50] = "INVEPT", [51] = "RDTSCP", [52] = "preemption timer", [53] = "INVVPID",
		[54] = "WBINVD", [55] = "XSETBV",
	};
	reason &= 0xffff;
	return reason < sizeof(names) / sizeof(names[0]) && names[reason] ? names[reason]
									   : "unnamed exit";
}

void vmx_exit_rip(void);   /* where VM exits land (vmx_entry.asm) */

/* This CPU's state to come back to: VMX switches it on every exit. Written
 * when a VMCS becomes active on this CPU (vmx_load), not at each entry:
 * nothing here changes while the CPU runs. HOST_RSP depends on the caller's
 * stack depth: the entry stub writes it when it changes. */
void vmcs_write_host_state(void)
{
	struct __attribute__((packed)) { uint16_t limit; uint64_t base; } gdtr, idtr;

	vmx_count()->host_loads++;
	__asm__ volatile("sgdt %0; sidt %1" : "=m"(gdtr), "=m"(idtr));
	vmwrite(HOST_CR0, read_cr0());
	vmwrite(HOST_CR3, read_cr3());
	vmwrite(HOST_CR4, read_cr4());
	vmwrite(HOST_CS_SEL, SEL_CODE64);
	vmwrite(HOST_SS_SEL, SEL_DATA);
	vmwrite(HOST_DS_SEL, SEL_DATA);
	vmwrite(HOST_ES_SEL, SEL_DATA);
	vmwrite(HOST_FS_SEL, 0);
	vmwrite(HOST_GS_SEL, 0);
	vmwrite(HOST_TR_SEL, SEL_TSS);
	vmwrite(HOST_FS_BASE, rdmsr(MSR_FS_BASE));
	vmwrite(HOST_GS_BASE, rdmsr(MSR_GS_BASE));
	vmwrite(HOST_TR_BASE, desc_tss_base());
	vmwrite(HOST_GDTR_BASE, gdtr.base);
	vmwrite(HOST_IDTR_BASE, idtr.base);
	vmwrite(HOST_SYSENTER_CS, 0);
	vmwrite(HOST_SYSENTER_ESP, 0);
	vmwrite(HOST_SYSENTER_EIP, 0);
	vmwrite(HOST_EFER, rdmsr(MSR_EFER));
	vmwrite(HOST_PAT, rdmsr(0x277));   /* used only with the PAT exit controls */
	vmwrite(HOST_RIP, (uint64_t)vmx_exit_rip);
}

static void guest_seg(unsigned sel_field, const struct sv_segment *g)
{
	unsigned i = (sel_field - GUEST_ES_SEL) / 2;

	vmwrite(sel_field, g->selector);
	vmwrite(GUEST_ES_LIMIT + 2 * i, g->limit);
	vmwrite(GUEST_ES_AR + 2 * i, vmx_ar(g->attr));
	vmwrite(GUEST_ES_BASE + 2 * i, g->base);
}

/* A state vcpu_state_check passed (hv/vcpu_state.h). The CPU forces some
 * CR0/CR4 bits (FIXED0): with unrestricted guest CR0.PE and CR0.PG are
 * exempt; CR0.NE the checks already require. Every CR0/CR4 bit is
 * host-owned: the guest reads the shadows (the state as set) and every
 * write exits (arch/x86/vmx/vmx_cr.c); CR4.VMXE, required in VMX
 * operation, is never in the shadow. */
void vmcs_write_guest_state(const struct sv_regs *r, const struct sv_sregs *s, bool unrestricted)
{
	uint64_t fixed0 = rdmsr(MSR_VMX_CR0_FIXED0);

	if (unrestricted)
		fixed0 &= ~(X86_CR0_PE | X86_CR0_PG);
	uint64_t cr0 = (s->cr0 | fixed0) & rdmsr(MSR_VMX_CR0_FIXED1);
	uint64_t cr4 = (s->cr4 | rdmsr(MSR_VMX_CR4_FIXED0)) & rdmsr(MSR_VMX_CR4_FIXED1);

	guest_seg(GUEST_CS_SEL, &s->cs);
	guest_seg(GUEST_SS_SEL, &s->ss);
	guest_seg(GUEST_DS_SEL, &s->ds);
	guest_seg(GUEST_ES_SEL, &s->es);
	guest_seg(GUEST_FS_SEL, &s->fs);
	guest_seg(GUEST_GS_SEL, &s->gs);
	guest_seg(GUEST_TR_SEL, &s->tr);
	guest_seg(GUEST_LDTR_SEL, &s->ldt);
	vmwrite(GUEST_GDTR_BASE, s->gdt.base);
	vmwrite(GUEST_GDTR_LIMIT, s->gdt.limit);
	vmwrite(GUEST_IDTR_BASE, s->idt.base);
	vmwrite(GUEST_IDTR_LIMIT, s->idt.limit);
	vmwrite(GUEST_CR0, cr0);
	vmwrite(GUEST_CR3, s->cr3);
	vmwrite(GUEST_CR4, cr4);
	vmwrite(CR0_SHADOW, s->cr0);
	vmwrite(CR4_SHADOW, s->cr4);
	vmwrite(GUEST_EFER, s->efer);
	vmwrite(GUEST_RSP, r->rsp);
	vmwrite(GUEST_RIP, r->rip);
	vmwrite(GUEST_RFLAGS, r->rflags);
}

/* What no register state changes: every CR0/CR4 bit is the host's. */
void vmcs_write_guest_fixed(void)
{
	vmwrite(CR0_MASK, ~0UL);
	vmwrite(CR4_MASK, ~0UL);
	vmwrite(GUEST_DR7, 0x400);
	vmwrite(GUEST_INTERRUPTIBILITY, 0);
	vmwrite(GUEST_ACTIVITY, 0);
	vmwrite(VMCS_LINK_PTR, ~0UL);
}
