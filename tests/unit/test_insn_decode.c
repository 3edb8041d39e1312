/* The MMIO instruction decoder (hv/insn_decode.c): hand-picked encodings
 * (their lengths and operands as the SDM and objdump give them), what it
 * refuses, and the register arithmetic of a read's result. The Zydis
 * comparison over generated encodings is tests/tools/insn-diff.c. */
#include <string.h>
#include <sealvisor/errno.h>
#include "hv/insn_decode.h"
#include "tests/unit/unit.h"

static struct mmio_insn d;

#define DECODE(mode, ...) ({ const uint8_t b_[] = { __VA_ARGS__ }; \
	memset(&d, 0xa5, sizeof(d)); insn_decode_mmio(b_, sizeof(b_), mode, &d); })
#define OK64(...) ck_assert_int_eq(DECODE(INSN_MODE_64, __VA_ARGS__), 0)
#define NO64(...) ck_assert_int_eq(DECODE(INSN_MODE_64, __VA_ARGS__), -EOPNOTSUPP)

static void expect(unsigned len, bool write, unsigned size, unsigned reg, unsigned reg_size)
{
	ck_assert_uint_eq(d.len, len);
	ck_assert_int_eq(d.write, write);
	ck_assert_uint_eq(d.size, size);
	ck_assert(d.has_reg && !d.has_imm);
	ck_assert_uint_eq(d.reg, reg);
	ck_assert_uint_eq(d.reg_size, reg_size);
}

static void expect_imm(unsigned len, unsigned size, uint64_t imm)
{
	ck_assert_uint_eq(d.len, len);
	ck_assert(d.write && d.has_imm && !d.has_reg);
	ck_assert_uint_eq(d.size, size);
	ck_assert_uint_eq(d.imm, imm);
}

START_TEST(mov_between_register_and_memory_in_every_size)
{
	OK64(0x8b, 0x05, 0x20, 0x00, 0xe0, 0xfe);          /* mov eax, [rip+0xfee00020] */
	expect(6, false, 4, 0, 4);
	ck_assert(!d.high_byte && d.ext == INSN_EXT_NONE);
	OK64(0x89, 0x08);                                  /* mov [rax], ecx */
	expect(2, true, 4, 1, 4);
	OK64(0x48, 0x89, 0x08);                            /* mov [rax], rcx */
	expect(3, true, 8, 1, 8);
	OK64(0x66, 0x89, 0x08);                            /* mov [rax], cx */
	expect(3, true, 2, 1, 2);
	OK64(0x4c, 0x89, 0x04, 0x24);                      /* mov [rsp], r8 */
	expect(4, true, 8, 8, 8);
	OK64(0x44, 0x8b, 0xbc, 0x91, 0x00, 0x03, 0x00, 0x00);  /* mov r15d, [rcx+rdx*4+0x300] */
	expect(8, false, 4, 15, 4);
	OK64(0x8b, 0x43, 0xf0);                            /* mov eax, [rbx-0x10] */
	expect(3, false, 4, 0, 4);
	OK64(0x8b, 0x04, 0x65, 0x00, 0x00, 0x00, 0x00);    /* mov eax, [riz*2+0]: SIB, no base */
	expect(7, false, 4, 0, 4);
	OK64(0x8b, 0x44, 0x25, 0x08);                      /* mov eax, [rbp+8] through SIB */
	expect(4, false, 4, 0, 4);
}
END_TEST

/* What compilers emit for a constant address: movabs. */
START_TEST(mov_accumulator_to_and_from_an_absolute_address)
{
	OK64(0xa1, 0x20, 0x00, 0xe0, 0xfe, 0, 0, 0, 0);    /* movabs eax, [0xfee00020] */
	expect(9, false, 4, 0, 4);
	OK64(0x48, 0xa3, 0x20, 0x00, 0xe0, 0xfe, 0, 0, 0, 0);   /* movabs [..], rax */
	expect(10, true, 8, 0, 8);
	OK64(0xa0, 0x30, 0x00, 0xe0, 0xfe, 0, 0, 0, 0);    /* movabs al, [..] */
	expect(9, false, 1, 0, 1);
	ck_assert(!d.high_byte);
	OK64(0x4c, 0xa1, 0x20, 0x00, 0xe0, 0xfe, 0, 0, 0, 0);   /* REX.R: still RAX */
	expect(10, false, 8, 0, 8);
	OK64(0x67, 0xa2, 0x30, 0x00, 0xe0, 0xfe);          /* mov [addr32], al */
	expect(6, true, 1, 0, 1);
	ck_assert_int_eq(DECODE(INSN_MODE_32, 0x66, 0xa1, 0x20, 0x00, 0xe0, 0xfe), 0);
	expect(6, false, 2, 0, 2);
	ck_assert_int_eq(DECODE(INSN_MODE_64, 0xa1, 0x20, 0x00, 0xe0, 0xfe), -EAGAIN);
}
END_TEST

START_TEST(byte_registers_ah_to_bh_only_without_rex)
{
	OK64(0x88, 0x20);                                  /* mov [rax], ah */
	expect(2, true, 1, 0, 1);
	ck_assert(d.high_byte);
	OK64(0x40, 0x88, 0x20);                            /* mov [rax], spl */
	expect(3, true, 1, 4, 1);
	ck_assert(!d.high_byte);
	OK64(0x8a, 0x3c, 0x25, 0x20, 0x00, 0xe0, 0xfe);    /* mov bh, [0xfee00020] */
	expect(7, false, 1, 3, 1);
	ck_assert(d.high_byte);
	OK64(0x44, 0x8a, 0x20);                            /* mov r12b, [rax] */
	expect(3, false, 1, 12, 1);
	ck_assert(!d.high_byte);
}
END_TEST

START_TEST(mov_immediate_sign_extends_only_to_eight_bytes)
{
	OK64(0xc7, 0x80, 0xb0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00);   /* mov dword [rax+0xb0], 0 */
	expect_imm(10, 4, 0);
	OK64(0x48, 0xc7, 0x00, 0xff, 0xff, 0xff, 0xff);    /* mov qword [rax], -1 */
	expect_imm(7, 8, ~0UL);
	OK64(0xc7, 0x00, 0x00, 0x00, 0x00, 0x80);          /* mov dword [rax], 0x80000000 */
	expect_imm(6, 4, 0x80000000UL);
	OK64(0x66, 0xc7, 0x00, 0x34, 0x12);                /* mov word [rax], 0x1234 */
	expect_imm(5, 2, 0x1234);
	OK64(0xc6, 0x44, 0x24, 0x08, 0x7f);                /* mov byte [rsp+8], 0x7f */
	expect_imm(5, 1, 0x7f);
	ck_assert_uint_eq(insn_write_value(&d, 0x1234), 0x7f);
	OK64(0xc7, 0x05, 0x10, 0x00, 0x00, 0x00, 0x0b, 0x00, 0x00, 0x00);   /* RIP-relative + imm */
	expect_imm(10, 4, 0xb);
}
END_TEST

START_TEST(movzx_movsx_movsxd_widen_into_the_register)
{
	OK64(0x0f, 0xb6, 0x40, 0x10);                      /* movzx eax, byte [rax+0x10] */
	expect(4, false, 1, 0, 4);
	ck_assert_int_eq(d.ext, INSN_EXT_ZERO);
	OK64(0x48, 0x0f, 0xbf, 0x08);                      /* movsx rcx, word [rax] */
	expect(4, false, 2, 1, 8);
	ck_assert_int_eq(d.ext, INSN_EXT_SIGN);
	ck_assert_uint_eq(insn_read_result(&d, 0, 0x8000), 0xffffffffffff8000UL);
	OK64(0x48, 0x63, 0x08);                            /* movsxd rcx, dword [rax] */
	expect(3, false, 4, 1, 8);
	ck_assert_uint_eq(insn_read_result(&d, 0, 0x80000000), 0xffffffff80000000UL);
	OK64(0x66, 0x0f, 0xb6, 0x00);                      /* movzx ax, byte [rax] */
	expect(4, false, 1, 0, 2);
	ck_assert_uint_eq(insn_read_result(&d, 0x1111222233334444UL, 0xff),
			  0x11112222333300ffUL);
	NO64(0x63, 0x08);                                  /* movsxd r32: not taken */
}
END_TEST

START_TEST(prefixes_segment_address_size_and_a_rex_that_does_not_count)
{
	OK64(0x65, 0x8b, 0x04, 0x25, 0x00, 0x00, 0x00, 0x00);   /* mov eax, gs:[0] */
	expect(8, false, 4, 0, 4);
	OK64(0x67, 0x8b, 0x00);                            /* mov eax, [eax] */
	expect(3, false, 4, 0, 4);
	OK64(0x48, 0x66, 0x89, 0x08);                      /* REX before 66: ignored */
	expect(4, true, 2, 1, 2);
	OK64(0x66, 0x48, 0x89, 0x08);                      /* REX.W wins over 66 */
	expect(4, true, 8, 1, 8);
	/* 13 prefixes + 2 bytes = 15: the limit; one more is #UD. */
	OK64(0x3e, 0x3e, 0x3e, 0x3e, 0x3e, 0x3e, 0x3e, 0x3e, 0x3e, 0x3e, 0x3e, 0x3e, 0x3e, 0x8b, 0x00);
	ck_assert_uint_eq(d.len, 15);
	NO64(0x3e, 0x3e, 0x3e, 0x3e, 0x3e, 0x3e, 0x3e, 0x3e, 0x3e, 0x3e, 0x3e, 0x3e, 0x3e, 0x3e,
	     0x8b, 0x00);
}
END_TEST

START_TEST(everything_else_is_not_supported)
{
	NO64(0xf0, 0x89, 0x08);                            /* LOCK */
	NO64(0xf3, 0x89, 0x08);                            /* REP */
	NO64(0xf2, 0x8b, 0x08);
	NO64(0x89, 0xc8);                                  /* register form */
	NO64(0xc7, 0x48, 0x00, 0, 0, 0, 0);                /* C7 /1 */
	NO64(0x8d, 0x00);                                  /* LEA */
	NO64(0x01, 0x08);                                  /* ADD */
	NO64(0x0f, 0xb8, 0x00);
	NO64(0x0f, 0x0b);
	ck_assert_int_eq(DECODE(INSN_MODE_64, 0x8b, 0x05, 0x00), -EAGAIN);
	ck_assert_int_eq(DECODE(INSN_MODE_64, 0x48), -EAGAIN);
	ck_assert_int_eq(DECODE(INSN_MODE_64, 0xc7, 0x00, 1, 2, 3), -EAGAIN);
}
END_TEST

START_TEST(thirty_two_bit_code_has_no_rex_rip_or_16_bit_addressing)
{
	ck_assert_int_eq(DECODE(INSN_MODE_32, 0x8b, 0x05, 0x20, 0x00, 0xe0, 0xfe), 0);   /* [disp32] */
	expect(6, false, 4, 0, 4);
	ck_assert_int_eq(DECODE(INSN_MODE_32, 0x88, 0x20), 0);
	ck_assert(d.high_byte);
	ck_assert_int_eq(DECODE(INSN_MODE_32, 0x48, 0x89, 0x08), -EOPNOTSUPP);   /* DEC eax */
	ck_assert_int_eq(DECODE(INSN_MODE_32, 0x67, 0x8b, 0x00), -EOPNOTSUPP);
	ck_assert_int_eq(DECODE(INSN_MODE_32, 0x63, 0x08), -EOPNOTSUPP);         /* ARPL */
}
END_TEST

START_TEST(read_results_merge_or_zero_extend_as_the_cpu_does)
{
	OK64(0x8a, 0x20);                                  /* mov ah, [rax] */
	ck_assert_uint_eq(insn_read_result(&d, 0xffff1111UL, 0x12), 0xffff1211UL);
	OK64(0x8b, 0x00);                                  /* mov eax, [rax] */
	ck_assert_uint_eq(insn_read_result(&d, 0xffffffff00000000UL, 0xdeadbeefcafeUL), 0xbeefcafeUL);
	OK64(0x66, 0x8b, 0x00);
	ck_assert_uint_eq(insn_read_result(&d, 0xffffffffffffffffUL, 0x1234), 0xffffffffffff1234UL);
	OK64(0x88, 0x38);                                  /* mov [rax], bh */
	ck_assert_uint_eq(insn_write_value(&d, 0xaabbccddUL), 0xcc);
	OK64(0x89, 0x08);
	ck_assert_uint_eq(insn_write_value(&d, 0x1122334455667788UL), 0x55667788UL);
}
END_TEST

Suite *insn_decode_suite(void)
{
	Suite *s = suite_create("insn_decode");
	TCase *tc = tcase_create("insn_decode");

	tcase_add_test(tc, mov_between_register_and_memory_in_every_size);
	tcase_add_test(tc, mov_accumulator_to_and_from_an_absolute_address);
	tcase_add_test(tc, byte_registers_ah_to_bh_only_without_rex);
	tcase_add_test(tc, mov_immediate_sign_extends_only_to_eight_bytes);
	tcase_add_test(tc, movzx_movsx_movsxd_widen_into_the_register);
	tcase_add_test(tc, prefixes_segment_address_size_and_a_rex_that_does_not_count);
	tcase_add_test(tc, everything_else_is_not_supported);
	tcase_add_test(tc, thirty_two_bit_code_has_no_rex_rip_or_16_bit_addressing);
	tcase_add_test(tc, read_results_merge_or_zero_extend_as_the_cpu_does);
	suite_add_tcase(s, tc);
	return s;
}
