/* Decoding the CR0/CR4 writes (arch/x86/svm/svm_cr_decode.h). */
#include <sealvisor/errno.h>
#include "arch/x86/svm/svm_cr_decode.h"

#define CR0_PE 1UL
#define CR0_TS (1UL << 3)

static int is_ignored_prefix(uint8_t b)
{
	/* Operand/address size and segment overrides do not change MOV CR. */
	return b == 0x66 || b == 0x67 || b == 0x2e || b == 0x3e || b == 0x26 || b == 0x36;
}

int svm_cr_decode(const uint8_t *b, unsigned n, unsigned cr, struct cr_insn *out)
{
	unsigned i = 0, rex = 0;

	while (i < n && i < 4 && is_ignored_prefix(b[i]))
		i++;
	if (i < n && (b[i] & 0xf0) == 0x40)
		rex = b[i++];
	if (i + 2 > n)
		return -EAGAIN;
	if (b[i] != 0x0f)
		return -EINVAL;
	if (b[i + 1] == 0x06) {
		if (cr != 0)
			return -EINVAL;
		*out = (struct cr_insn){ CR_INSN_CLTS, 0, i + 2 };
		return 0;
	}
	if (i + 3 > n)
		return -EAGAIN;
	uint8_t op = b[i + 1], modrm = b[i + 2];
	unsigned reg = (modrm >> 3) & 7, rm = (modrm & 7) | (rex & 1 ? 8 : 0);
	if ((modrm >> 6) != 3)
		return -EINVAL;   /* MOV CR has only register forms; LMSW m16 is not emulated */
	if (op == 0x22 && (reg | (rex & 4 ? 8 : 0)) == cr)
		*out = (struct cr_insn){ CR_INSN_MOV, rm, i + 3 };
	else if (op == 0x01 && reg == 6 && cr == 0)
		*out = (struct cr_insn){ CR_INSN_LMSW, rm, i + 3 };
	else
		return -EINVAL;
	return 0;
}

uint64_t cr_insn_value(const struct cr_insn *i, uint64_t old, uint64_t src)
{
	switch (i->kind) {
	case CR_INSN_CLTS:
		return old & ~CR0_TS;
	case CR_INSN_LMSW:   /* bits 0-3 only, and PE cannot be cleared */
		return (old & ~0xfUL) | (src & 0xf) | (old & CR0_PE);
	default:
		return src;
	}
}
