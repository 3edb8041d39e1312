/* Decoding a device-access instruction (hv/insn_decode.h). The decoder
 * only has to be right about what it accepts: everything else is
 * -EOPNOTSUPP and the access goes to the VMM undecoded, as before. */
#include <sealvisor/errno.h>
#include <stddef.h>
#include "hv/insn_decode.h"

#define REX_W 8
#define REX_R 4

struct cursor {
	const uint8_t *b;
	unsigned n, i;
};

/* -EAGAIN if the bytes end early (more could be fetched), -EOPNOTSUPP
 * past the architectural 15-byte limit. */
static int take(struct cursor *c, unsigned count, uint64_t *val)
{
	uint64_t v = 0;

	if (c->i + count > INSN_MAX_LEN)
		return -EOPNOTSUPP;
	if (c->i + count > c->n)
		return -EAGAIN;
	for (unsigned k = 0; k < count; k++)
		v |= (uint64_t)c->b[c->i + k] << (8 * k);
	c->i += count;
	if (val)
		*val = v;
	return 0;
}

static bool is_segment_prefix(uint8_t b)
{
	return b == 0x2e || b == 0x3e || b == 0x26 || b == 0x36 || b == 0x64 || b == 0x65;
}

/* Legacy prefixes (0x67 only changes MOV moffs' length: the address
 * itself comes with the fault), then (64-bit code) a REX that counts only right before
 * the opcode. LOCK and REP have no business on a device access. */
static int prefixes(struct cursor *c, enum insn_mode mode, bool *opsize, bool *addrsize,
		    unsigned *rex)
{
	uint64_t b;
	int err;

	*opsize = *addrsize = false;
	*rex = 0;
	for (;;) {
		if ((err = take(c, 1, &b)))
			return err;
		if (b == 0x66) {
			*opsize = true;
		} else if (b == 0x67) {
			/* 64-bit code: 32-bit addressing, same ModRM forms;
			 * 32-bit code: 16-bit addressing, not decoded. */
			if (mode != INSN_MODE_64)
				return -EOPNOTSUPP;
			*addrsize = true;
		} else if (is_segment_prefix((uint8_t)b)) {
			/* nothing: the fault already gives the address */
		} else if (mode == INSN_MODE_64 && (b & 0xf0) == 0x40) {
			*rex = (unsigned)b;
			continue;                /* kept only if the opcode follows */
		} else {
			c->i--;
			return 0;
		}
		*rex = 0;
	}
}

/* ModRM with SIB and displacement (32/64-bit addressing); memory only. */
static int modrm(struct cursor *c, uint8_t *reg_field)
{
	uint64_t m, sib;
	int err;

	if ((err = take(c, 1, &m)))
		return err;
	unsigned mod = m >> 6, rm = m & 7;
	*reg_field = (m >> 3) & 7;
	if (mod == 3)
		return -EOPNOTSUPP;
	unsigned disp = mod == 1 ? 1 : mod == 2 ? 4 : 0;
	if (rm == 4) {
		if ((err = take(c, 1, &sib)))
			return err;
		if (mod == 0 && (sib & 7) == 5)
			disp = 4;
	} else if (mod == 0 && rm == 5) {
		disp = 4;                        /* RIP-relative (64-bit) or disp32 */
	}
	return take(c, disp, NULL);
}

struct opcode {
	uint8_t size;        /* memory operand: 0 = the operand size */
	bool write, imm;
	enum insn_ext ext;
	bool moffs;          /* A0-A3: no ModRM, an absolute address, AL/eAX */
};

/* The covered opcodes (after 0F for the two-byte ones); false: not ours. */
static bool lookup(uint8_t op, bool two_byte, enum insn_mode mode, unsigned rex,
		   struct opcode *o)
{
	if (two_byte) {
		if (op != 0xb6 && op != 0xb7 && op != 0xbe && op != 0xbf)
			return false;
		*o = (struct opcode){ (op & 1) ? 2 : 1, false, false,
				      op >= 0xbe ? INSN_EXT_SIGN : INSN_EXT_ZERO, false };
		return true;
	}
	switch (op) {
	case 0x88: *o = (struct opcode){ 1, true, false, INSN_EXT_NONE, false }; return true;
	case 0x89: *o = (struct opcode){ 0, true, false, INSN_EXT_NONE, false }; return true;
	case 0x8a: *o = (struct opcode){ 1, false, false, INSN_EXT_NONE, false }; return true;
	case 0x8b: *o = (struct opcode){ 0, false, false, INSN_EXT_NONE, false }; return true;
	case 0xa0: case 0xa1: case 0xa2: case 0xa3:
		*o = (struct opcode){ op & 1 ? 0 : 1, op >= 0xa2, false, INSN_EXT_NONE, true };
		return true;
	case 0xc6: *o = (struct opcode){ 1, true, true, INSN_EXT_NONE, false }; return true;
	case 0xc7: *o = (struct opcode){ 0, true, true, INSN_EXT_NONE, false }; return true;
	case 0x63:   /* MOVSXD r64, r/m32; ARPL outside 64-bit code */
		if (mode != INSN_MODE_64 || !(rex & REX_W))
			return false;
		*o = (struct opcode){ 4, false, false, INSN_EXT_SIGN, false };
		return true;
	default:
		return false;
	}
}

static uint64_t sign_extend(uint64_t v, unsigned bytes)
{
	unsigned shift = 64 - 8 * bytes;
	return bytes >= 8 ? v : (uint64_t)((int64_t)(v << shift) >> shift);
}

static uint64_t mask(unsigned bytes)
{
	return bytes >= 8 ? ~0UL : (1UL << (8 * bytes)) - 1;
}

int insn_decode_mmio(const uint8_t *b, unsigned n, enum insn_mode mode, struct mmio_insn *out)
{
	struct cursor c = { b, n, 0 };
	struct opcode o;
	bool opsize, addrsize, two_byte = false;
	unsigned rex;
	uint64_t op, imm = 0;
	uint8_t reg;
	int err;

	if ((err = prefixes(&c, mode, &opsize, &addrsize, &rex)) || (err = take(&c, 1, &op)))
		return err;
	if (op == 0x0f) {
		two_byte = true;
		if ((err = take(&c, 1, &op)))
			return err;
	}
	if (!lookup((uint8_t)op, two_byte, mode, rex, &o))
		return -EOPNOTSUPP;
	if (o.moffs) {
		reg = 0;                         /* the address: 8 bytes, 4 with 0x67 */
		err = take(&c, mode == INSN_MODE_64 && !addrsize ? 8 : 4, NULL);
	} else {
		err = modrm(&c, &reg);
	}
	if (err)
		return err;
	unsigned osz = rex & REX_W ? 8 : opsize ? 2 : 4;
	unsigned size = o.size ? o.size : osz;
	if (o.imm) {
		if (reg != 0)
			return -EOPNOTSUPP;      /* C6/C7 /1-/7: not MOV */
		if ((err = take(&c, size == 1 ? 1 : size == 2 ? 2 : 4, &imm)))
			return err;
	}
	*out = (struct mmio_insn){
		.len = (uint8_t)c.i, .write = o.write, .size = (uint8_t)size,
		.has_reg = !o.imm, .ext = o.ext,
		.has_imm = o.imm, .imm = sign_extend(imm, size == 8 ? 4 : size) & mask(size),
	};
	if (!o.imm) {
		/* REX.R extends ModRM.reg; moffs forms always use AL/eAX. */
		out->reg = (uint8_t)(reg | (rex & REX_R && !o.moffs ? 8 : 0));
		out->reg_size = (uint8_t)(o.ext != INSN_EXT_NONE ? osz : size);
		/* Without a REX, byte registers 4-7 are AH CH DH BH. */
		if (out->reg_size == 1 && !rex && reg >= 4) {
			out->high_byte = true;
			out->reg = (uint8_t)(reg - 4);
		}
	}
	return 0;
}

uint64_t insn_write_value(const struct mmio_insn *i, uint64_t reg)
{
	if (i->has_imm)
		return i->imm;
	return (i->high_byte ? reg >> 8 : reg) & mask(i->size);
}

uint64_t insn_read_result(const struct mmio_insn *i, uint64_t old, uint64_t mem)
{
	uint64_t v = mem & mask(i->size);

	if (i->ext == INSN_EXT_SIGN)
		v = sign_extend(v, i->size);
	v &= mask(i->reg_size);
	switch (i->reg_size) {
	case 8: return v;
	case 4: return v;                               /* upper half zeroed */
	case 2: return (old & ~0xffffUL) | v;
	default:
		return i->high_byte ? (old & ~0xff00UL) | v << 8 : (old & ~0xffUL) | v;
	}
}
