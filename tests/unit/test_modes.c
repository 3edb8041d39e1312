/*
 * Mode switches a guest makes itself (hv/cr_policy.c): CR0/CR4/EFER
 * verdicts against what the SDM and APM say the CPU does, EFER.LMA
 * following CR0.PG, the PAE PDPTE check, and the page walk the SVM
 * backend uses to fetch a CR-writing instruction in every paging mode.
 */
#include <stdlib.h>
#include <string.h>
#include <sealvisor/errno.h>
#include "hv/cr_policy.h"
#include "tests/unit/unit.h"

#define LME EFER_LME_BIT
#define LMA EFER_LMA_BIT
#define REAL   0x32UL           /* MP ET NE: the SV_START_16 CR0 */
#define PROT   0x33UL           /* + PE: SV_START_32 */
#define PAGED  (PROT | CR0_PG)
#define OK 0
#define GP -EINVAL

static const struct {
	const char *what;
	struct cr_state s;
	uint64_t val;
	int want;
	uint64_t efer;          /* EFER after, when allowed */
} cr0_rows[] = {
	{ "real -> protected", { REAL, 0, 0, 0, false }, PROT, OK, 0 },
	{ "real -> protected with paging at once", { REAL, 0, 0, 0, false }, PAGED, OK, 0 },
	{ "protected -> real", { PROT, 0, 0, 0, false }, REAL, OK, 0 },
	{ "PG without PE", { PROT, 0, 0, 0, false }, REAL | CR0_PG, GP, 0 },
	{ "PE cleared under paging", { PAGED, 0, 0, 0, false }, PAGED & ~CR0_PE, GP, 0 },
	{ "32-bit paging on", { PROT, CR4_PSE, 0, 0, false }, PAGED, OK, 0 },
	{ "PAE paging on", { PROT, CR4_PAE, 0, 0, false }, PAGED, OK, 0 },
	{ "paging off again", { PAGED, CR4_PAE, 0, 0, false }, PROT, OK, 0 },
	{ "long mode: LME, PAE, PG", { PROT, CR4_PAE, LME, 0, false }, PAGED, OK, LME | LMA },
	{ "long mode without PAE", { PROT, 0, LME, 0, false }, PAGED, GP, 0 },
	{ "long mode from a CS with L set", { PROT, CR4_PAE, LME, 0, true }, PAGED, GP, 0 },
	{ "64-bit code clears PG", { PAGED, CR4_PAE, LME | LMA, 0, true }, PROT, GP, 0 },
	{ "compatibility mode clears PG", { PAGED, CR4_PAE, LME | LMA, 0, false }, PROT, OK, LME },
	{ "PG off with PCIDE", { PAGED, CR4_PAE | CR4_PCIDE, LME | LMA, 0, false }, PROT, GP, 0 },
	{ "TS in long mode keeps LMA", { PAGED, CR4_PAE, LME | LMA, 0, true }, PAGED | CR0_TS, OK,
	  LME | LMA },
	{ "NE cleared", { PROT, 0, 0, 0, false }, PROT & ~CR0_NE, GP, 0 },
	{ "NW without CD", { PROT, 0, 0, 0, false }, PROT | CR0_NW, GP, 0 },
	{ "reserved bit 6", { PROT, 0, 0, 0, false }, PROT | (1UL << 6), GP, 0 },
	{ "reserved bit 32", { PROT, 0, 0, 0, false }, PROT | (1UL << 32), GP, 0 },
};

START_TEST(cr0_transitions)
{
	for (unsigned i = 0; i < sizeof(cr0_rows) / sizeof(cr0_rows[0]); i++) {
		uint64_t v = cr0_rows[i].val, efer = 0xbad;
		int got = cr0_write_check(&cr0_rows[i].s, &v, &efer);
		ck_assert_msg(got == cr0_rows[i].want, "%s: got %d", cr0_rows[i].what, got);
		if (got)
			ck_assert_msg(efer == 0xbad && v == cr0_rows[i].val, "%s: changed", cr0_rows[i].what);
		else
			ck_assert_msg(efer == cr0_rows[i].efer, "%s: EFER 0x%lx", cr0_rows[i].what,
				      (unsigned long)efer);
	}
}
END_TEST

#define ALL 0x7ffUL | CR4_PCIDE

static const struct {
	const char *what;
	struct cr_state s;
	uint64_t val;
	int want;
} cr4_rows[] = {
	{ "PAE on, paging off", { PROT, 0, 0, 0, false }, CR4_PAE, OK },
	{ "32-bit paging -> PAE paging", { PAGED, CR4_PSE, 0, 0, false }, CR4_PAE, OK },
	{ "PAE off in 64-bit mode", { PAGED, CR4_PAE, LME | LMA, 0, true }, 0, GP },
	{ "PAE off in compatibility mode", { PAGED, CR4_PAE, LME | LMA, 0, false }, 0, GP },
	{ "PAE off with LME but paging off", { PROT, CR4_PAE, LME, 0, false }, 0, OK },
	{ "PCIDE outside long mode", { PROT, CR4_PAE, 0, 0, false }, CR4_PAE | CR4_PCIDE, GP },
	{ "PCIDE in long mode", { PAGED, CR4_PAE, LME | LMA, 0x1000, true }, CR4_PAE | CR4_PCIDE, OK },
	{ "PCIDE with CR3[11:0]", { PAGED, CR4_PAE, LME | LMA, 0x1001, true }, CR4_PAE | CR4_PCIDE,
	  GP },
	{ "not allowed (LA57)", { PROT, 0, 0, 0, false }, 1UL << 12, GP },
};

START_TEST(cr4_transitions)
{
	for (unsigned i = 0; i < sizeof(cr4_rows) / sizeof(cr4_rows[0]); i++) {
		uint64_t v = cr4_rows[i].val;
		int got = cr4_write_check(&cr4_rows[i].s, &v, ALL);
		ck_assert_msg(got == cr4_rows[i].want, "%s: got %d", cr4_rows[i].what, got);
	}
}
END_TEST

START_TEST(efer_transitions)
{
	static const struct {
		const char *what;
		uint64_t cur, cr0, val;
		int want;
		uint64_t stored;
	} t[] = {
		{ "LME on, paging off", 0, PROT, LME, OK, LME },
		{ "LME off, paging off", LME, PROT, 0, OK, 0 },
		{ "LME on under 32-bit paging", 0, PAGED, LME, GP, 0 },
		{ "LME off in long mode", LME | LMA, PAGED, LMA, GP, 0 },
		{ "LMA written: ignored", 0, PROT, LME | LMA, OK, LME },
		{ "LMA cleared: kept", LME | LMA, PAGED, LME | EFER_SCE_BIT, OK,
		  LME | LMA | EFER_SCE_BIT },
		{ "NXE under paging", 0, PAGED, EFER_NXE_BIT, OK, EFER_NXE_BIT },
		{ "SVME", 0, PROT, EFER_SVME_BIT, GP, 0 },
		{ "reserved bit 14", 0, PROT, 1UL << 14, GP, 0 },
	};
	for (unsigned i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		uint64_t v = t[i].val;
		int got = efer_write_check(t[i].cur, t[i].cr0, &v);
		ck_assert_msg(got == t[i].want, "%s: got %d", t[i].what, got);
		if (!got)
			ck_assert_msg(v == t[i].stored, "%s: stored 0x%lx", t[i].what, (unsigned long)v);
	}
}
END_TEST

/* A guest's whole trip, as the intercepts apply it: every step is judged
 * against the state the previous ones left. */
START_TEST(real_to_long_and_back)
{
	struct cr_state s = { REAL, 0, 0, 0x100000, false };
	uint64_t v;

	v = PROT;
	ck_assert_int_eq(cr0_write_check(&s, &v, &s.efer), 0);
	s.cr0 = v;
	v = CR4_PAE;
	ck_assert_int_eq(cr4_write_check(&s, &v, ALL), 0);
	s.cr4 = v;
	v = LME;
	ck_assert_int_eq(efer_write_check(s.efer, s.cr0, &v), 0);
	s.efer = v;
	ck_assert_uint_eq(paging_mode(s.cr0, s.cr4, s.efer), PAGING_OFF);
	v = PAGED;
	ck_assert_int_eq(cr0_write_check(&s, &v, &s.efer), 0);
	s.cr0 = v;
	ck_assert_uint_eq(s.efer, LME | LMA);
	ck_assert_uint_eq(paging_mode(s.cr0, s.cr4, s.efer), PAGING_LONG);
	s.cs_l = true;                       /* the far jump to 64-bit code */
	v = PROT;
	ck_assert_int_eq(cr0_write_check(&s, &v, &s.efer), -EINVAL);
	s.cs_l = false;                      /* back to compatibility mode */
	ck_assert_int_eq(cr0_write_check(&s, &v, &s.efer), 0);
	s.cr0 = v;
	ck_assert_uint_eq(s.efer, LME);
	ck_assert_uint_eq(paging_mode(s.cr0, s.cr4, s.efer), PAGING_OFF);
	v = 0;
	ck_assert_int_eq(efer_write_check(s.efer, s.cr0, &v), 0);
	s.efer = v;
	v = PAGED;                           /* now PAE paging, not long mode */
	ck_assert_int_eq(cr0_write_check(&s, &v, &s.efer), 0);
	ck_assert_uint_eq(s.efer, 0);
	ck_assert_uint_eq(paging_mode(v, s.cr4, s.efer), PAGING_PAE);
	ck_assert_uint_eq(paging_mode(v, 0, 0), PAGING_32);
}
END_TEST

START_TEST(pdptes)
{
	ck_assert(pdpte_valid(0, 36));
	ck_assert(pdpte_valid(0xfffffffffffffffeUL, 36));    /* not present: not checked */
	ck_assert(pdpte_valid(0x12345001UL | (1UL << 3) | (1UL << 4) | (7UL << 9), 36));
	ck_assert(!pdpte_valid(0x1000 | 1 | 2, 48));           /* R/W: reserved in a PDPTE */
	ck_assert(!pdpte_valid(0x1000 | 1 | 4, 48));           /* U/S */
	for (unsigned b = 5; b <= 8; b++)
		ck_assert_msg(!pdpte_valid(0x1000 | 1 | (1UL << b), 48), "bit %u", b);
	ck_assert(!pdpte_valid(0x1001 | (1UL << 63), 48));     /* NX */
	ck_assert(!pdpte_valid(0x1001 | (1UL << 40), 36));
	ck_assert(pdpte_valid(0x1001 | (1UL << 40), 48));
}
END_TEST

/* Guest-physical memory for the walks: 4 MiB, reads outside fail. */
#define MEM (4UL << 20)
static uint8_t *mem;

static int mem_read(void *ctx, uint64_t gpa, void *out, unsigned len)
{
	(void)ctx;
	if (gpa >= MEM || len > MEM - gpa)
		return -EAGAIN;
	memcpy(out, mem + gpa, len);
	return 0;
}

static void put32(uint64_t gpa, uint32_t v) { memcpy(mem + gpa, &v, 4); }
static void put64(uint64_t gpa, uint64_t v) { memcpy(mem + gpa, &v, 8); }

static uint64_t walk(enum paging_mode m, uint64_t cr3, bool pse, uint64_t lin)
{
	uint64_t gpa = ~0UL;
	return guest_walk(m, cr3, pse, lin, mem_read, NULL, &gpa) ? ~0UL : gpa;
}

START_TEST(walks_in_every_paging_mode)
{
	mem = calloc(1, MEM);
	/* 32-bit: PD at 0x1000; 0x00400000 -> PT at 0x2000 -> page 0x5000;
	 * 0xc0000000 a 4 MiB page at 0x00c00000. */
	put32(0x1000 + 1 * 4, 0x2000 | 1);
	put32(0x2000 + 3 * 4, 0x5000 | 1);
	put32(0x1000 + 0x300 * 4, 0x00c00000 | 0x81);
	ck_assert_uint_eq(walk(PAGING_32, 0x1000, false, 0x00403abc), 0x5abc);
	ck_assert_uint_eq(walk(PAGING_32, 0x1000, true, 0xc0012345), 0x00c12345);
	ck_assert_uint_eq(walk(PAGING_32, 0x1000, false, 0x00404000), ~0UL);   /* PTE not present */
	ck_assert_uint_eq(walk(PAGING_32, 0x1000, false, 0x00800000), ~0UL);   /* PDE not present */
	/* PAE: PDPT at 0x3020 (32-byte aligned); entry 3 -> PD 0x6000;
	 * 0xc0200000 a 2 MiB page at 0x00200000, 0xc0000000 -> PT 0x7000. */
	put64(0x3020 + 3 * 8, 0x6000 | 1);
	put64(0x6000 + 1 * 8, 0x00200000 | 0x81);
	put64(0x6000 + 0 * 8, 0x7000 | 1);
	put64(0x7000 + 2 * 8, 0x9000 | 1);
	ck_assert_uint_eq(walk(PAGING_PAE, 0x3020, false, 0xc0212345), 0x00212345);
	ck_assert_uint_eq(walk(PAGING_PAE, 0x3020, false, 0xc0002010), 0x9010);
	ck_assert_uint_eq(walk(PAGING_PAE, 0x3020, false, 0x00002010), ~0UL);  /* PDPTE 0 absent */
	/* 4-level: PML4 0x8000 -> PDPT 0xa000; entry 1 a 1 GiB page at 0,
	 * entry 0 -> PD 0xb000 with a 2 MiB page at 0x00200000. */
	put64(0x8000 + 0x100 * 8, 0xa000 | 1);                /* 0xffff800000000000 */
	put64(0xa000 + 1 * 8, 0x0 | 0x81);
	put64(0xa000 + 0 * 8, 0xb000 | 1);
	put64(0xb000 + 5 * 8, 0x00200000 | 0x81);
	ck_assert_uint_eq(walk(PAGING_LONG, 0x8000, false, 0xffff800040001234UL), 0x1234);
	ck_assert_uint_eq(walk(PAGING_LONG, 0x8000, false, 0xffff800000a00042UL), 0x00200042);
	ck_assert_uint_eq(walk(PAGING_LONG, 0x8000, false, 0x0000000000a00042UL), ~0UL);
	/* Paging off: the linear address, 32 bits of it. */
	ck_assert_uint_eq(walk(PAGING_OFF, 0, false, 0x100008000UL), 0x8000);
	free(mem);
}
END_TEST

Suite *modes_suite(void)
{
	Suite *s = suite_create("modes");
	TCase *tc = tcase_create("modes");

	tcase_add_test(tc, cr0_transitions);
	tcase_add_test(tc, cr4_transitions);
	tcase_add_test(tc, efer_transitions);
	tcase_add_test(tc, real_to_long_and_back);
	tcase_add_test(tc, pdptes);
	tcase_add_test(tc, walks_in_every_paging_mode);
	suite_add_tcase(s, tc);
	return s;
}
