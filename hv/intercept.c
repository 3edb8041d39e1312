/*
 * Intercepted instructions, decided once for every backend. The backends
 * set the intercept bits and decode exits into VMEXIT_INSN; which bits
 * they set is in each backend's intercept table (svm.c, vmx.c), one line
 * per instruction below.
 */
#include "hv/intercept.h"
#include "hv/partition.h"

static const struct insn_policy policy[INSN_COUNT] = {
	/* INVD drops every dirty line without writing it back: run natively
	 * it would discard data of the host and of other partitions. A
	 * partition has no memory that is not coherent (no device of its own,
	 * no non-coherent DMA), so it loses nothing if INVD does nothing. */
	[INSN_INVD] = { INSN_ACT_SKIP, 2, "INVD" },
	/* WBINVD would only matter to non-coherent DMA, which no partition
	 * has; run on the host it stalls the CPU (and its memory traffic, for
	 * every partition) for as long as the caches take to flush, and a
	 * guest could repeat it at will. So: a no-op. */
	[INSN_WBINVD] = { INSN_ACT_SKIP, 2, "WBINVD" },
	/* Partitions must not see MONITOR in CPUID (leaf 1 ECX bit 3): on a
	 * CPU without it these are #UD. Run natively, MWAIT would park the
	 * physical CPU until a write to a line the guest chose. */
	[INSN_MONITOR] = { INSN_ACT_UD, 3, "MONITOR" },
	[INSN_MWAIT] = { INSN_ACT_UD, 3, "MWAIT" },
	/* The performance counters are the host's and count for everyone
	 * (a side channel): not virtualized, so every counter is absent, #GP
	 * like RDPMC of a counter that does not exist. */
	[INSN_RDPMC] = { INSN_ACT_GP, 2, "RDPMC" },
	/* No nested virtualization: CPUID hides SVM and VMX (hv/cpuid.c),
	 * and their instructions are #UD as on a CPU without them. On SVM
	 * the guest's EFER.SVME is set in the VMCB (VMRUN requires it) and
	 * only hidden from its RDMSR, so every SVM instruction is
	 * intercepted; VMMCALL is the hypercall. On VMX they always exit. */
	[INSN_SVM] = { INSN_ACT_UD, 3, "SVM instruction" },
	[INSN_VMX] = { INSN_ACT_UD, 3, "VMX instruction" },
};

const struct insn_policy *insn_policy(enum vm_insn insn)
{
	return (unsigned)insn < INSN_COUNT && policy[insn].name ? &policy[insn] : NULL;
}

void insn_emulate(struct vcpu *v, enum vm_insn insn)
{
	const struct insn_policy *p = insn_policy(insn);

	if (!p) {               /* a backend decoded a kind nobody decided */
		virt->inject_exception(v, X86_EXC_UD, false, 0);
		return;
	}
	switch (p->action) {
	case INSN_ACT_SKIP:
		virt->skip_instruction(v, p->len);
		break;
	case INSN_ACT_UD:
		virt->inject_exception(v, X86_EXC_UD, false, 0);
		break;
	case INSN_ACT_GP:
		virt_inject_gp(v);
		break;
	}
}
