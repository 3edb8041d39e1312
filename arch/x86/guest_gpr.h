/* A guest general-purpose register by its instruction-encoding number, as
 * VMX exit qualifications and ModRM bytes give it. */
#ifndef ARCH_X86_GUEST_GPR_H
#define ARCH_X86_GUEST_GPR_H

#include <stddef.h>
#include "hv/virt.h"

/* NULL for 4 (RSP: it lives in the backend's control block). */
static inline uint64_t *guest_gpr(struct guest_regs *r, unsigned n)
{
	uint64_t *const by_number[16] = {
		&r->rax, &r->rcx, &r->rdx, &r->rbx, NULL, &r->rbp, &r->rsi, &r->rdi,
		&r->r8, &r->r9, &r->r10, &r->r11, &r->r12, &r->r13, &r->r14, &r->r15,
	};
	return by_number[n & 15];
}

#endif
