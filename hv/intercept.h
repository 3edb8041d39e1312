/* What a partition gets for each intercepted instruction (VMEXIT_INSN):
 * one table, the same on every backend. */
#ifndef HV_INTERCEPT_H
#define HV_INTERCEPT_H

#include "hv/virt.h"

enum insn_action {
	INSN_ACT_SKIP,      /* a no-op: RIP moves past it */
	INSN_ACT_UD,        /* #UD, as on a CPU without the instruction */
	INSN_ACT_GP,        /* #GP(0) */
};

struct insn_policy {
	enum insn_action action;
	uint8_t len;        /* bytes, for a skip where the CPU does not say */
	const char *name;
};

/* The policy for one kind, or NULL for a kind outside the table. */
const struct insn_policy *insn_policy(enum vm_insn insn);
/* Carries out the policy for an intercepted instruction of v. */
void insn_emulate(struct vcpu *v, enum vm_insn insn);

#endif
