/* Issue 11: the verdicts of the XSETBV and CR0/CR4 write intercepts and
 * CPUID's view of XSAVE (hv/xstate_policy.c), as tables. */
#include <sealvisor/errno.h>
#include "arch/x86/svm/svm_cr_decode.h"
#include "hv/run.h"
#include "hv/cr_policy.h"
#include "hv/xstate_policy.h"
#include "tests/unit/fake_virt.h"
#include "tests/unit/unit.h"

#define X87 XCR0_X87
#define SSE XCR0_SSE
#define AVX XCR0_AVX
#define K XCR0_OPMASK
#define ZH XCR0_ZMM_HI256
#define Z16 XCR0_HI16_ZMM
#define ALL (X87 | SSE | AVX | XCR0_AVX512)

static const struct {
	uint32_t ecx;
	uint64_t value, host;
	unsigned cpl;
	int want;
} xsetbv_table[] = {
	{ 0, X87, ALL, 0, 0 },
	{ 0, X87 | SSE, ALL, 0, 0 },
	{ 0, X87 | SSE | AVX, ALL, 0, 0 },
	{ 0, ALL, ALL, 0, 0 },
	{ 0, X87 | SSE, X87 | SSE, 0, 0 },
	{ 1, X87, ALL, 0, -EINVAL },                        /* only XCR0 */
	{ 0xffffffff, X87, ALL, 0, -EINVAL },
	{ 0, X87, ALL, 3, -EINVAL },                        /* CPL 3 */
	{ 0, X87, ALL, 1, -EINVAL },
	{ 0, 0, ALL, 0, -EINVAL },                          /* x87 must stay */
	{ 0, SSE, ALL, 0, -EINVAL },
	{ 0, X87 | AVX, ALL, 0, -EINVAL },                  /* AVX needs SSE */
	{ 0, X87 | SSE | AVX, X87 | SSE, 0, -EINVAL },      /* not in host XCR0 */
	{ 0, X87 | SSE | K, ALL, 0, -EINVAL },              /* AVX-512 all or none */
	{ 0, X87 | SSE | AVX | K | ZH, ALL, 0, -EINVAL },
	{ 0, X87 | SSE | AVX | ZH | Z16, ALL, 0, -EINVAL },
	{ 0, X87 | SSE | XCR0_AVX512, ALL, 0, -EINVAL },    /* ...and needs AVX */
	{ 0, X87 | SSE | (1UL << 9), ALL | (1UL << 9), 0, -EINVAL },  /* PKRU: not switched */
	{ 0, X87 | SSE | (1UL << 3) | (1UL << 4), ALL | 0x18, 0, -EINVAL },  /* MPX */
	{ 0, X87 | SSE | (1UL << 17) | (1UL << 18), ~0UL, 0, -EINVAL },     /* AMX */
	{ 0, X87 | (1UL << 63), ~0UL, 0, -EINVAL },
};

START_TEST(xsetbv_verdicts)
{
	for (unsigned i = 0; i < sizeof(xsetbv_table) / sizeof(xsetbv_table[0]); i++) {
		int got = xsetbv_check(xsetbv_table[i].ecx, xsetbv_table[i].value,
				       xsetbv_table[i].host, xsetbv_table[i].cpl);
		ck_assert_msg(got == xsetbv_table[i].want, "row %u: 0x%lx: got %d, want %d", i,
			      (unsigned long)xsetbv_table[i].value, got, xsetbv_table[i].want);
	}
}
END_TEST

#define CR0_INIT 0x80050033UL   /* PG AM WP NE ET MP PE: the backends' initial CR0 */
#define CR4_INIT 0x620UL   /* OSXMMEXCPT OSFXSR PAE */
/* The default start: 64-bit code in long mode (mode switches: test_modes.c). */
static const struct cr_state long64 = { .cr0 = CR0_INIT, .cr4 = CR4_INIT,
					.efer = EFER_LME_BIT | EFER_LMA_BIT, .cs_l = true };

static const struct {
	uint64_t val, applied;
	int want;
} cr0_table[] = {
	{ CR0_INIT, CR0_INIT, 0 },
	{ CR0_INIT | CR0_EM, CR0_INIT | CR0_EM, 0 },          /* its own state: allowed */
	{ CR0_INIT | CR0_TS, CR0_INIT | CR0_TS, 0 },
	{ CR0_INIT & ~CR0_MP, CR0_INIT & ~CR0_MP, 0 },
	{ CR0_INIT & ~CR0_ET, CR0_INIT, 0 },                  /* ET reads as 1 */
	{ CR0_INIT | CR0_CD, CR0_INIT | CR0_CD, 0 },
	{ CR0_INIT | CR0_CD | CR0_NW, CR0_INIT | CR0_CD | CR0_NW, 0 },
	{ CR0_INIT & ~(1UL << 16), CR0_INIT & ~(1UL << 16), 0 },   /* WP */
	{ CR0_INIT | CR0_NW, 0, -EINVAL },                     /* NW without CD */
	{ CR0_INIT & ~CR0_PG, 0, -EINVAL },                    /* leaving long mode */
	{ CR0_INIT & ~CR0_PE, 0, -EINVAL },
	{ CR0_INIT & ~CR0_NE, 0, -EINVAL },
	{ CR0_INIT | (1UL << 32), 0, -EINVAL },                /* reserved */
	{ CR0_INIT | (1UL << 6), 0, -EINVAL },
	{ CR0_INIT | (1UL << 17), 0, -EINVAL },
};

START_TEST(cr0_write_verdicts)
{
	for (unsigned i = 0; i < sizeof(cr0_table) / sizeof(cr0_table[0]); i++) {
		uint64_t v = cr0_table[i].val;
		uint64_t efer;
		int got = cr0_write_check(&long64, &v, &efer);
		ck_assert_msg(got == cr0_table[i].want, "row %u: got %d", i, got);
		if (!got)
			ck_assert_msg(efer == long64.efer, "row %u: EFER changed", i);
		if (!got)
			ck_assert_msg(v == cr0_table[i].applied, "row %u: applied 0x%lx", i,
				      (unsigned long)v);
	}
}
END_TEST

static int cr4_check(uint64_t *v, uint64_t allowed, uint64_t cr3)
{
	struct cr_state s = long64;

	s.cr3 = cr3;
	return cr4_write_check(&s, v, allowed);
}

START_TEST(cr4_write_verdicts)
{
	/* A CPU with XSAVE, PCID, FSGSBASE, SMEP, SMAP, UMIP, PKU, LA57. */
	uint64_t allowed = cr4_allowed_for(CPUID1_ECX_XSAVE | (1u << 17),
					   (1u << 0) | (1u << 7) | (1u << 20),
					   (1u << 2) | (1u << 3) | (1u << 16), true);
	static const struct { uint64_t val, cr3; int want; } t[] = {
		{ CR4_INIT, 0, 0 },
		{ CR4_INIT | CR4_OSXSAVE, 0, 0 },
		{ CR4_INIT | (1UL << 7), 0, 0 },                 /* PGE */
		{ CR4_INIT | (1UL << 20) | (1UL << 21), 0, 0 },  /* SMEP SMAP */
		{ CR4_INIT | (1UL << 16), 0, 0 },                /* FSGSBASE */
		{ CR4_INIT | (1UL << 11), 0, 0 },                /* UMIP */
		{ CR4_INIT & ~(CR4_OSFXSR | CR4_OSXMMEXCPT), 0, 0 },
		{ CR4_INIT | CR4_PCIDE, 0x1000, 0 },
		{ CR4_INIT | CR4_PCIDE, 0x1001, -EINVAL },       /* PCIDE needs CR3[11:0] = 0 */
		{ CR4_INIT | CR4_VMXE, 0, -EINVAL },             /* no nested VMX */
		{ CR4_INIT | (1UL << 14), 0, -EINVAL },          /* SMXE */
		{ CR4_INIT | (1UL << 12), 0, -EINVAL },          /* LA57 */
		{ CR4_INIT | (1UL << 22), 0, -EINVAL },          /* PKE: PKRU not switched */
		{ CR4_INIT | (1UL << 23), 0, -EINVAL },          /* CET */
		{ CR4_INIT | (1UL << 24), 0, -EINVAL },          /* PKS */
		{ CR4_INIT | (1UL << 15), 0, -EINVAL },          /* reserved */
		{ CR4_INIT | (1UL << 40), 0, -EINVAL },
		{ CR4_INIT & ~CR4_PAE, 0, -EINVAL },             /* long mode needs PAE */
	};
	for (unsigned i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		uint64_t v = t[i].val;
		int got = cr4_check(&v, allowed, t[i].cr3);
		ck_assert_msg(got == t[i].want, "row %u: 0x%lx: got %d, want %d", i,
			      (unsigned long)t[i].val, got, t[i].want);
	}
	/* Already on: PCIDE stays on whatever CR3 holds. */
	struct cr_state s = long64;
	uint64_t v = CR4_INIT | CR4_PCIDE;
	s.cr4 |= CR4_PCIDE;
	s.cr3 = 0x1001;
	ck_assert_int_eq(cr4_write_check(&s, &v, allowed), 0);
}
END_TEST

START_TEST(cr4_bits_need_the_cpu_feature)
{
	uint64_t bare = cr4_allowed_for(0, 0, 0, false);
	uint64_t v = CR4_INIT | CR4_OSXSAVE;

	ck_assert_int_eq(cr4_check(&v, bare, 0), -EINVAL);
	v = CR4_INIT | (1UL << 20);
	ck_assert_int_eq(cr4_check(&v, bare, 0), -EINVAL);
	v = CR4_INIT | CR4_PCIDE;
	ck_assert_int_eq(cr4_check(&v, bare, 0), -EINVAL);
	/* XSAVE in CPUID but the host does not use it: no OSXSAVE either. */
	ck_assert(!(cr4_allowed_for(CPUID1_ECX_XSAVE, 0, 0, false) & CR4_OSXSAVE));
}
END_TEST

/* A Skylake-X-like layout: AVX at 576, AVX-512 components after it. */
static struct xstate_host skx(void)
{
	struct xstate_host h = { .xsave = true, .xcr0 = ALL };

	h.offset[2] = 576, h.size[2] = 256;
	h.offset[5] = 1088, h.size[5] = 64;
	h.offset[6] = 1152, h.size[6] = 512;
	h.offset[7] = 1664, h.size[7] = 1024;
	return h;
}

START_TEST(cpuid_osxsave_follows_guest_cr4)
{
	struct xstate_host h = skx();
	struct cpuid_regs c = { 0, 0, CPUID1_ECX_XSAVE | CPUID1_ECX_AVX | CPUID1_ECX_OSXSAVE, 0 };

	cpuid_xstate_adjust(1, 0, &c, CR4_INIT, XCR0_RESET, &h);
	ck_assert(!(c.ecx & CPUID1_ECX_OSXSAVE));     /* the host's OSXSAVE does not show */
	ck_assert(c.ecx & CPUID1_ECX_XSAVE);
	cpuid_xstate_adjust(1, 0, &c, CR4_INIT | CR4_OSXSAVE, XCR0_RESET, &h);
	ck_assert(c.ecx & CPUID1_ECX_OSXSAVE);
	/* No XSAVE on the host: neither XSAVE, OSXSAVE nor AVX. */
	struct xstate_host none = { .xsave = false, .xcr0 = X87 | SSE };
	c.ecx = CPUID1_ECX_XSAVE | CPUID1_ECX_AVX;
	cpuid_xstate_adjust(1, 0, &c, CR4_INIT | CR4_OSXSAVE, XCR0_RESET, &none);
	ck_assert_uint_eq(c.ecx & (CPUID1_ECX_XSAVE | CPUID1_ECX_AVX | CPUID1_ECX_OSXSAVE), 0);
}
END_TEST

START_TEST(cpuid_leaf_d_follows_guest_xcr0)
{
	struct xstate_host h = skx();
	struct cpuid_regs c = { 0xffffffff, 1, 2, 0xffffffff };

	cpuid_xstate_adjust(0xd, 0, &c, CR4_INIT | CR4_OSXSAVE, X87 | SSE, &h);
	ck_assert_uint_eq(c.eax, ALL);
	ck_assert_uint_eq(c.edx, 0);
	ck_assert_uint_eq(c.ebx, 576);                 /* x87|SSE only enabled */
	ck_assert_uint_eq(c.ecx, 2688);                /* everything the host switches */
	cpuid_xstate_adjust(0xd, 0, &c, CR4_INIT | CR4_OSXSAVE, X87 | SSE | AVX, &h);
	ck_assert_uint_eq(c.ebx, 832);
	c = (struct cpuid_regs){ 0xf, 1, 1, 1 };       /* neither XSAVES nor XSAVEC offered */
	cpuid_xstate_adjust(0xd, 1, &c, 0, X87 | SSE, &h);
	ck_assert_uint_eq(c.eax, 0x5);
	ck_assert_uint_eq(c.ebx | c.ecx | c.edx, 0);
	c = (struct cpuid_regs){ 8, 2560, 0, 0 };      /* PKRU's sub-leaf: not switched */
	cpuid_xstate_adjust(0xd, 9, &c, 0, X87 | SSE, &h);
	ck_assert_uint_eq(c.eax | c.ebx | c.ecx | c.edx, 0);
	c = (struct cpuid_regs){ 256, 576, 0, 0 };
	cpuid_xstate_adjust(0xd, 2, &c, 0, X87 | SSE, &h);
	ck_assert_uint_eq(c.eax, 256);
	ck_assert_uint_eq(c.ebx, 576);
	c = (struct cpuid_regs){ 1, 1, 1, 1 };
	cpuid_xstate_adjust(0xd, 70, &c, 0, X87 | SSE, &h);
	ck_assert_uint_eq(c.eax | c.ebx | c.ecx | c.edx, 0);
	/* PKU/OSPKE never offered (CR4.PKE is refused). */
	c = (struct cpuid_regs){ 0, 0, (1u << 3) | (1u << 4), 0 };
	cpuid_xstate_adjust(7, 0, &c, 0, X87 | SSE, &h);
	ck_assert_uint_eq(c.ecx, 0);
}
END_TEST

/* The run loop's CPUID exit: what the vCPU itself set decides, not the
 * host's CR4 and XCR0. */
START_TEST(cpuid_exit_reports_the_vcpus_own_cr4_and_xcr0)
{
	struct vcpu v = { .xcr0 = X87 | SSE };
	struct xstate_host saved = xstate_host;

	xstate_host = skx();
	fake_cr4 = CR4_INIT;
	v.regs.rax = 1;
	cpuid_emulate_vcpu(&v);
	ck_assert(!(v.regs.rcx & CPUID1_ECX_OSXSAVE));
	fake_cr4 = CR4_INIT | CR4_OSXSAVE;
	v.regs.rax = 1;
	cpuid_emulate_vcpu(&v);
	ck_assert(v.regs.rcx & CPUID1_ECX_OSXSAVE);
	v.regs.rax = 0xd, v.regs.rcx = 0;
	cpuid_emulate_vcpu(&v);
	ck_assert_uint_eq(v.regs.rbx, 576);
	v.xcr0 = X87 | SSE | AVX;
	v.regs.rax = 0xd, v.regs.rcx = 0;
	cpuid_emulate_vcpu(&v);
	ck_assert_uint_eq(v.regs.rbx, 832);
	xstate_host = saved;
	fake_cr4 = 0;
}
END_TEST

/* SVM without decode assists: the CR write is decoded from its bytes. */
START_TEST(svm_cr_writes_decode_from_their_bytes)
{
	static const struct {
		uint8_t b[8];
		unsigned n, cr;
		int want;
		enum cr_insn_kind kind;
		unsigned gpr, len;
	} t[] = {
		{ { 0x0f, 0x22, 0xe0 }, 3, 4, 0, CR_INSN_MOV, 0, 3 },          /* mov %rax,%cr4 */
		{ { 0x0f, 0x22, 0xc3 }, 3, 0, 0, CR_INSN_MOV, 3, 3 },          /* mov %rbx,%cr0 */
		{ { 0x41, 0x0f, 0x22, 0xe7 }, 4, 4, 0, CR_INSN_MOV, 15, 4 },   /* mov %r15,%cr4 */
		{ { 0x0f, 0x22, 0xe4 }, 3, 4, 0, CR_INSN_MOV, 4, 3 },          /* mov %rsp,%cr4 */
		{ { 0x66, 0x0f, 0x22, 0xc1 }, 4, 0, 0, CR_INSN_MOV, 1, 4 },    /* prefix ignored */
		{ { 0x0f, 0x06 }, 2, 0, 0, CR_INSN_CLTS, 0, 2 },
		{ { 0x0f, 0x01, 0xf0 }, 3, 0, 0, CR_INSN_LMSW, 0, 3 },         /* lmsw %ax */
		{ { 0x41, 0x0f, 0x01, 0xf1 }, 4, 0, 0, CR_INSN_LMSW, 9, 4 },   /* lmsw %r9w */
		{ { 0x0f, 0x22, 0xe0 }, 3, 0, -EINVAL, 0, 0, 0 },              /* CR4 form, CR0 exit */
		{ { 0x44, 0x0f, 0x22, 0xc0 }, 4, 0, -EINVAL, 0, 0, 0 },        /* mov %rax,%cr8 */
		{ { 0x0f, 0x06 }, 2, 4, -EINVAL, 0, 0, 0 },                    /* CLTS is CR0's */
		{ { 0x0f, 0x01, 0x30 }, 3, 0, -EINVAL, 0, 0, 0 },              /* lmsw (%rax) */
		{ { 0x0f, 0x20, 0xe0 }, 3, 4, -EINVAL, 0, 0, 0 },              /* mov %cr4,%rax */
		{ { 0x90, 0x0f, 0x22 }, 3, 4, -EINVAL, 0, 0, 0 },
		{ { 0x0f, 0x22 }, 2, 4, -EAGAIN, 0, 0, 0 },                    /* next page unmapped */
		{ { 0x41 }, 1, 4, -EAGAIN, 0, 0, 0 },
		{ { 0 }, 0, 4, -EAGAIN, 0, 0, 0 },
	};
	for (unsigned i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct cr_insn insn = { 0 };
		int got = svm_cr_decode(t[i].b, t[i].n, t[i].cr, &insn);
		ck_assert_msg(got == t[i].want, "row %u: got %d, want %d", i, got, t[i].want);
		if (got)
			continue;
		ck_assert_msg(insn.kind == t[i].kind && insn.gpr == t[i].gpr && insn.len == t[i].len,
			      "row %u: kind %d gpr %u len %u", i, insn.kind, insn.gpr, insn.len);
	}
	struct cr_insn clts = { CR_INSN_CLTS, 0, 2 }, lmsw = { CR_INSN_LMSW, 0, 3 };
	struct cr_insn mov = { CR_INSN_MOV, 0, 3 };
	ck_assert_uint_eq(cr_insn_value(&clts, CR0_INIT | CR0_TS, 0), CR0_INIT);
	ck_assert_uint_eq(cr_insn_value(&lmsw, CR0_INIT, 0xfff4), (CR0_INIT & ~0xfUL) | 0x5);
	ck_assert_uint_eq(cr_insn_value(&mov, CR0_INIT, 0x1234), 0x1234);
}
END_TEST

Suite *xstate_suite(void)
{
	Suite *s = suite_create("xstate");
	TCase *tc = tcase_create("policy");

	tcase_add_test(tc, xsetbv_verdicts);
	tcase_add_test(tc, cr0_write_verdicts);
	tcase_add_test(tc, cr4_write_verdicts);
	tcase_add_test(tc, cr4_bits_need_the_cpu_feature);
	tcase_add_test(tc, cpuid_osxsave_follows_guest_cr4);
	tcase_add_test(tc, cpuid_leaf_d_follows_guest_xcr0);
	tcase_add_test(tc, cpuid_exit_reports_the_vcpus_own_cr4_and_xcr0);
	tcase_add_test(tc, svm_cr_writes_decode_from_their_bytes);
	suite_add_tcase(s, tc);
	return s;
}
