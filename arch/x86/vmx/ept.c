/*
 * Intel EPT entries: R/W/X permission bits, memory type WB on leaves, bit 7
 * for a 2 MiB leaf. Pure C, also built into the host tests.
 */
#include "arch/x86/vmx/ept.h"

#define EPT_R   (1UL << 0)
#define EPT_W   (1UL << 1)
#define EPT_X   (1UL << 2)
#define EPT_WB  (6UL << 3)
#define EPT_LARGE (1UL << 7)
#define EPT_ADDR 0x000ffffffffff000UL

static uint64_t ept_table(uint64_t pa)
{
	return pa | EPT_R | EPT_W | EPT_X;
}

static uint64_t ept_leaf(uint64_t pa, unsigned level, unsigned prot)
{
	return pa | EPT_WB | (prot & S2_READ ? EPT_R : 0) | (prot & S2_WRITE ? EPT_W : 0) |
	       (prot & S2_EXEC ? EPT_X : 0) | (level ? EPT_LARGE : 0);
}

static bool ept_present(uint64_t e)
{
	return e & (EPT_R | EPT_W | EPT_X);
}

static bool ept_large(uint64_t e)
{
	return e & EPT_LARGE;
}

static uint64_t ept_addr(uint64_t e)
{
	return e & EPT_ADDR;
}

static unsigned ept_prot(uint64_t e)
{
	return (e & EPT_R ? S2_READ : 0) | (e & EPT_W ? S2_WRITE : 0) | (e & EPT_X ? S2_EXEC : 0);
}

const struct stage2_fmt ept_fmt = {
	"EPT", ept_table, ept_leaf, ept_present, ept_large, ept_addr, ept_prot,
};
