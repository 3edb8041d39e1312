/*
 * AMD nested page table entries: the long-mode page-table format. Guest
 * accesses through NPT are user accesses, so every entry sets U/S. Pure C,
 * also built into the host tests.
 */
#include "arch/x86/svm/npt.h"

#define NPT_P   (1UL << 0)
#define NPT_RW  (1UL << 1)
#define NPT_US  (1UL << 2)
#define NPT_PS  (1UL << 7)
#define NPT_NX  (1UL << 63)
#define NPT_ADDR 0x000ffffffffff000UL

static uint64_t npt_table(uint64_t pa)
{
	return pa | NPT_P | NPT_RW | NPT_US;
}

static uint64_t npt_leaf(uint64_t pa, unsigned level, unsigned prot)
{
	return pa | NPT_P | NPT_US | (prot & S2_WRITE ? NPT_RW : 0) |
	       (prot & S2_EXEC ? 0 : NPT_NX) | (level ? NPT_PS : 0);
}

static bool npt_present(uint64_t e)
{
	return e & NPT_P;
}

static bool npt_large(uint64_t e)
{
	return e & NPT_PS;
}

static uint64_t npt_addr(uint64_t e)
{
	return e & NPT_ADDR;
}

static unsigned npt_prot(uint64_t e)
{
	return S2_READ | (e & NPT_RW ? S2_WRITE : 0) | (e & NPT_NX ? 0 : S2_EXEC);
}

const struct stage2_fmt npt_fmt = {
	"NPT", npt_table, npt_leaf, npt_present, npt_large, npt_addr, npt_prot,
};
