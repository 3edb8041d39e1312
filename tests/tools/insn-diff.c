/*
 * The MMIO decoder (hv/insn_decode.c) against Zydis 4 (Debian's
 * libzydis-dev) over generated encodings: random prefixes (legacy, LOCK,
 * REP, REX), an opcode mostly from the covered set, then random bytes.
 * For every encoding our decoder accepts, Zydis must decode the same
 * instruction (mnemonic), length, operand size, memory operand size and
 * direction, register (AH..BH too) and immediate. Our decoder may refuse
 * what Zydis decodes (that access goes to the VMM), never the reverse.
 * Usage: insn-diff [count] [seed]; exit status 1 on any disagreement.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <Zydis/Zydis.h>
#include <sealvisor/errno.h>
#include "hv/insn_decode.h"

static uint64_t rng_state;

static uint32_t rnd(void)
{
	rng_state = rng_state * 6364136223846793005ULL + 1442695040888963407ULL;
	return (uint32_t)(rng_state >> 33);
}

static const uint8_t prefix_pool[] = { 0x66, 0x66, 0x67, 0x2e, 0x3e, 0x26, 0x36, 0x64, 0x65,
				       0xf0, 0xf2, 0xf3, 0x40, 0x41, 0x44, 0x48, 0x4c, 0x4f,
				       0x40 + 0, 0x4a };
static const uint8_t opcode_pool[] = { 0x88, 0x89, 0x8a, 0x8b, 0xc6, 0xc7, 0x63, 0x0f,
				       0xa0, 0xa1, 0xa2, 0xa3 };
static const uint8_t two_byte_pool[] = { 0xb6, 0xb7, 0xbe, 0xbf };

static unsigned generate(uint8_t *b)
{
	unsigned i = 0, nprefix = rnd() % 8 == 0 ? rnd() % 14 : rnd() % 4;   /* + 2 opcode bytes <= 15 */

	for (unsigned k = 0; k < nprefix; k++)
		b[i++] = rnd() % 4 == 0 ? (uint8_t)(0x40 | (rnd() & 15))
					: prefix_pool[rnd() % sizeof(prefix_pool)];
	if (rnd() % 16 == 0) {
		b[i++] = (uint8_t)rnd();             /* anything */
	} else {
		b[i] = opcode_pool[rnd() % sizeof(opcode_pool)];
		if (b[i++] == 0x0f)
			b[i++] = rnd() % 8 ? two_byte_pool[rnd() % 4] : (uint8_t)rnd();
	}
	while (i < INSN_MAX_LEN)
		b[i++] = (uint8_t)rnd();
	return INSN_MAX_LEN;
}

static ZydisMnemonic expected_mnemonic(const struct mmio_insn *d)
{
	if (d->ext == INSN_EXT_ZERO)
		return ZYDIS_MNEMONIC_MOVZX;
	if (d->ext == INSN_EXT_SIGN)
		return d->size == 4 ? ZYDIS_MNEMONIC_MOVSXD : ZYDIS_MNEMONIC_MOVSX;
	return ZYDIS_MNEMONIC_MOV;
}

static unsigned long disagreements;

static void report(const uint8_t *b, const char *mode, const char *what, long ours, long theirs)
{
	if (++disagreements > 20)
		return;
	printf("insn-diff: %s:", mode);
	for (unsigned i = 0; i < INSN_MAX_LEN; i++)
		printf(" %02x", b[i]);
	printf(": %s: ours %ld, zydis %ld\n", what, ours, theirs);
}

#define CHECK(what, ours, theirs) do { if ((long)(ours) != (long)(theirs)) { \
	report(b, mode_name, what, (long)(ours), (long)(theirs)); return; } } while (0)

static uint64_t mask(unsigned bytes)
{
	return bytes >= 8 ? ~0ULL : (1ULL << (8 * bytes)) - 1;
}

static void compare(const ZydisDecoder *zd, ZydisMachineMode zmode, const char *mode_name,
		    const uint8_t *b, const struct mmio_insn *d)
{
	ZydisDecodedInstruction zi;
	ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
	const ZydisDecodedOperand *mem = NULL, *reg = NULL, *imm = NULL;

	ZyanStatus st = ZydisDecoderDecodeFull(zd, b, INSN_MAX_LEN, &zi, ops);
	CHECK("zydis decodes it", 1, ZYAN_SUCCESS(st));
	CHECK("mnemonic", expected_mnemonic(d), zi.mnemonic);
	CHECK("length", d->len, zi.length);
	CHECK("operand size", 8 * (d->has_reg ? d->reg_size : d->size), zi.operand_width);
	for (unsigned i = 0; i < zi.operand_count_visible; i++) {
		if (ops[i].type == ZYDIS_OPERAND_TYPE_MEMORY)
			mem = &ops[i];
		else if (ops[i].type == ZYDIS_OPERAND_TYPE_REGISTER)
			reg = &ops[i];
		else if (ops[i].type == ZYDIS_OPERAND_TYPE_IMMEDIATE)
			imm = &ops[i];
	}
	CHECK("memory operand", 1, mem != NULL);
	CHECK("memory size", 8 * d->size, mem->size);
	CHECK("direction", d->write, !!(mem->actions & ZYDIS_OPERAND_ACTION_MASK_WRITE));
	CHECK("register operand", d->has_reg, reg != NULL);
	CHECK("immediate operand", d->has_imm, imm != NULL);
	if (reg) {
		ZydisRegister big = ZydisRegisterGetLargestEnclosing(zmode, reg->reg.value);
		bool high = reg->reg.value == ZYDIS_REGISTER_AH || reg->reg.value == ZYDIS_REGISTER_CH ||
			    reg->reg.value == ZYDIS_REGISTER_DH || reg->reg.value == ZYDIS_REGISTER_BH;
		CHECK("register", d->reg, ZydisRegisterGetId(big));
		CHECK("high byte register", d->high_byte, high);
		CHECK("register size", 8 * d->reg_size, reg->size);
	}
	if (imm)
		CHECK("immediate", d->imm, imm->imm.value.u & mask(d->size));
}

struct counts { unsigned long total, ours, zydis_only; };

static void run_mode(ZydisMachineMode zmode, ZydisStackWidth sw, enum insn_mode mode,
		     const char *name, unsigned long n, struct counts *c)
{
	ZydisDecoder zd;
	uint8_t b[INSN_MAX_LEN];
	struct mmio_insn d;

	ZydisDecoderInit(&zd, zmode, sw);
	for (unsigned long k = 0; k < n; k++) {
		generate(b);
		c->total++;
		int err = insn_decode_mmio(b, INSN_MAX_LEN, mode, &d);
		if (err == 0) {
			c->ours++;
			compare(&zd, zmode, name, b, &d);
			continue;
		}
		if (err != -EOPNOTSUPP) {
			report(b, name, "error with 15 bytes", err, 0);
			continue;
		}
		ZydisDecodedInstruction zi;
		ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
		if (ZYAN_SUCCESS(ZydisDecoderDecodeFull(&zd, b, INSN_MAX_LEN, &zi, ops)) &&
		    (zi.mnemonic == ZYDIS_MNEMONIC_MOV || zi.mnemonic == ZYDIS_MNEMONIC_MOVZX ||
		     zi.mnemonic == ZYDIS_MNEMONIC_MOVSX || zi.mnemonic == ZYDIS_MNEMONIC_MOVSXD))
			c->zydis_only++;
	}
}

int main(int argc, char **argv)
{
	unsigned long n = argc > 1 ? strtoul(argv[1], NULL, 0) : 200000;
	struct counts c64 = { 0 }, c32 = { 0 };

	rng_state = argc > 2 ? strtoull(argv[2], NULL, 0) : 0x5ea1f00d;
	run_mode(ZYDIS_MACHINE_MODE_LONG_64, ZYDIS_STACK_WIDTH_64, INSN_MODE_64, "64-bit", n, &c64);
	run_mode(ZYDIS_MACHINE_MODE_LONG_COMPAT_32, ZYDIS_STACK_WIDTH_32, INSN_MODE_32, "32-bit",
		 n / 4, &c32);
	printf("insn-diff: %lu encodings (64-bit %lu, 32-bit %lu), %lu accepted by our decoder "
	       "and checked against Zydis %d.%d, %lu MOV/MOVZX/MOVSX(D) only Zydis decodes "
	       "(left to the VMM), %lu disagreements\n",
	       c64.total + c32.total, c64.total, c32.total, c64.ours + c32.ours,
	       (int)ZYDIS_VERSION_MAJOR(ZYDIS_VERSION), (int)ZYDIS_VERSION_MINOR(ZYDIS_VERSION),
	       c64.zydis_only + c32.zydis_only, disagreements);
	/* A generator that stopped producing covered instructions would
	 * make this pass vacuously. */
	if (c64.ours < n / 4) {
		printf("insn-diff: only %lu accepted: the generator is broken\n", c64.ours);
		return 1;
	}
	return disagreements ? 1 : 0;
}
