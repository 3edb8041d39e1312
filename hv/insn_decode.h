/*
 * The instructions compilers emit for a device register access, decoded
 * from their bytes so that the hypervisor can emulate an access to a
 * page no memory backs (the xAPIC page; issue 12 item 4) without showing
 * guest memory to anyone: MOV r/m,reg (88 89), MOV reg,r/m (8A 8B),
 * MOV r/m,imm (C6 /0, C7 /0), MOV AL/eAX <-> moffs (A0-A3), MOVZX (0F B6 B7), MOVSX (0F BE BF) and
 * MOVSXD (63, 64-bit code), with REX, the 0x66 operand-size prefix and
 * segment-override prefixes, every ModRM/SIB/displacement form
 * (RIP-relative too), 1, 2, 4 or 8 bytes. The r/m operand must be
 * memory (mod != 3): it is the access that faulted.
 *
 * Pure function over a byte buffer, host-tested (tests/unit/test_insn_decode.c)
 * and compared with Zydis over generated encodings (tests/tools/insn-diff.c).
 */
#ifndef HV_INSN_DECODE_H
#define HV_INSN_DECODE_H

#include <stdbool.h>
#include <stdint.h>

#define INSN_MAX_LEN 15

enum insn_mode { INSN_MODE_64, INSN_MODE_32 };   /* CS.L = 1; CS.L = 0 and CS.D = 1 */
enum insn_ext { INSN_EXT_NONE, INSN_EXT_ZERO, INSN_EXT_SIGN };

struct mmio_insn {
	uint8_t len;         /* bytes, prefixes included */
	bool write;          /* the memory operand is written */
	uint8_t size;        /* bytes accessed in memory: 1, 2, 4 or 8 */
	/* The register operand (source of a write, destination of a read):
	 * encoding number 0-15; high_byte: AH CH DH BH (4-7 without REX). */
	bool has_reg;
	uint8_t reg, reg_size;
	bool high_byte;
	/* MOV r/m,imm: the value written, already size bytes wide. */
	bool has_imm;
	uint64_t imm;
	enum insn_ext ext;   /* a read into a wider register (MOVZX/MOVSX/MOVSXD) */
};

/* 0, -EAGAIN (the n bytes end inside an instruction we would accept,
 * n < INSN_MAX_LEN) or -EOPNOTSUPP (anything else, including LOCK/REP
 * prefixes, 16-bit addressing and register-only forms). */
int insn_decode_mmio(const uint8_t *b, unsigned n, enum insn_mode mode, struct mmio_insn *out);

/* What a decoded write stores, from the source register's full 64-bit
 * value (ignored for an immediate). */
uint64_t insn_write_value(const struct mmio_insn *i, uint64_t reg);
/* The register's new value after a read of `mem` (size bytes) into it,
 * from its old one: 32-bit destinations zero the upper half, 8- and
 * 16-bit ones (AH..BH too) keep the other bits, as the CPU does. */
uint64_t insn_read_result(const struct mmio_insn *i, uint64_t old, uint64_t mem);

#endif
