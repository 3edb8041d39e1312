/*
 * The instructions that write CR0/CR4, decoded from their bytes: what the
 * SVM backend needs where the CPU gives no decode assists (QEMU's TCG).
 * Pure and host-tested (tests/unit/test_xstate.c).
 */
#ifndef ARCH_X86_SVM_SVM_CR_DECODE_H
#define ARCH_X86_SVM_SVM_CR_DECODE_H

#include <stdint.h>

enum cr_insn_kind { CR_INSN_MOV, CR_INSN_CLTS, CR_INSN_LMSW };

struct cr_insn {
	enum cr_insn_kind kind;
	unsigned gpr;   /* MOV, LMSW: the source register's encoding number */
	unsigned len;   /* bytes, prefixes included */
};

/* The n bytes at RIP of an instruction that wrote CR `cr`: 0, -EAGAIN (more
 * bytes needed than n) or -EINVAL (not MOV CRn,reg / CLTS / LMSW reg:
 * not emulated). */
int svm_cr_decode(const uint8_t *b, unsigned n, unsigned cr, struct cr_insn *out);
/* The value the instruction stores, given the register's old value and
 * the source register's. */
uint64_t cr_insn_value(const struct cr_insn *i, uint64_t old, uint64_t src);

#endif
