/* Verdicts of guest mode switches (hv/cr_policy.h). Pure: host-tested in
 * tests/unit/test_modes.c. */
#include <sealvisor/errno.h>
#include "hv/cr_policy.h"

/* Bits that exist in CR0; the rest are reserved (#GP when set). */
#define CR0_DEFINED (CR0_PE | CR0_MP | CR0_EM | CR0_TS | CR0_ET | CR0_NE | (1UL << 16) | \
		     CR0_AM | CR0_NW | CR0_CD | CR0_PG)
#define EFER_GUEST  (EFER_SCE_BIT | EFER_LME_BIT | EFER_LMA_BIT | EFER_NXE_BIT)

/*
 * Everything the CPU checks, plus one rule of ours: NE stays set (VMX's
 * fixed-1 bit, and nobody wants FERR#). ET reads as 1 whatever is written,
 * as on every CPU since the 486. Turning paging on with EFER.LME enters
 * long mode: CR4.PAE must be set and CS must not already be a 64-bit
 * segment; turning it off leaves long mode, which 64-bit code cannot do
 * (only compatibility mode can), nor can anyone with CR4.PCIDE set.
 */
int cr0_write_check(const struct cr_state *s, uint64_t *val, uint64_t *efer)
{
	uint64_t v = *val | CR0_ET, e = s->efer;
	bool pg_on = (v & CR0_PG) && !(s->cr0 & CR0_PG);
	bool pg_off = !(v & CR0_PG) && (s->cr0 & CR0_PG);

	if ((v & ~CR0_DEFINED) || !(v & CR0_NE))
		return -EINVAL;
	if ((v & CR0_NW) && !(v & CR0_CD))
		return -EINVAL;
	if ((v & CR0_PG) && !(v & CR0_PE))
		return -EINVAL;
	if (pg_on && (e & EFER_LME_BIT)) {
		if (!(s->cr4 & CR4_PAE) || s->cs_l)
			return -EINVAL;
		e |= EFER_LMA_BIT;
	}
	if (pg_off) {
		if (((e & EFER_LMA_BIT) && s->cs_l) || (s->cr4 & CR4_PCIDE))
			return -EINVAL;
		e &= ~EFER_LMA_BIT;
	}
	*val = v;
	*efer = e;
	return 0;
}

/* A bit outside allowed is refused, even one that is already set
 * (vcpu_state_check never lets an initial state set one). Long mode
 * needs PAE; PCIDE exists only in long mode. */
int cr4_write_check(const struct cr_state *s, uint64_t *val, uint64_t allowed)
{
	uint64_t v = *val;
	bool lma = s->efer & EFER_LMA_BIT;

	if (v & ~allowed)
		return -EINVAL;
	if (lma && !(v & CR4_PAE))
		return -EINVAL;
	if ((v & CR4_PCIDE) && !(s->cr4 & CR4_PCIDE) && (!lma || (s->cr3 & 0xfff)))
		return -EINVAL;
	return 0;
}

/* LME cannot change while paging is on (that would change the paging
 * mode under the running code); LMA is the CPU's, a written value of it
 * is ignored (as KVM and Intel CPUs do). SVME is never the guest's. */
int efer_write_check(uint64_t cur, uint64_t cr0, uint64_t *val)
{
	uint64_t v = *val;

	if (v & ~EFER_GUEST)
		return -EINVAL;
	if ((cr0 & CR0_PG) && ((v ^ cur) & EFER_LME_BIT))
		return -EINVAL;
	*val = (v & ~EFER_LMA_BIT) | (cur & EFER_LMA_BIT);
	return 0;
}

enum paging_mode paging_mode(uint64_t cr0, uint64_t cr4, uint64_t efer)
{
	if (!(cr0 & CR0_PG))
		return PAGING_OFF;
	if (efer & EFER_LMA_BIT)
		return PAGING_LONG;
	return cr4 & CR4_PAE ? PAGING_PAE : PAGING_32;
}

bool pdpte_valid(uint64_t e, unsigned phys_bits)
{
	uint64_t rsvd = 0x1e6UL;   /* bits 2:1 and 8:5 */

	if (phys_bits < 64)
		rsvd |= ~0UL << phys_bits;
	return !(e & 1) || !(e & rsvd);
}

#define PTE_P    1UL
#define PTE_PS   (1UL << 7)
#define PTE_ADDR 0x000ffffffffff000UL

/* 32-bit paging: two levels of 4-byte entries, 4 MiB pages with PSE
 * (PSE-36 high bits ignored: guests here have less than 4 GiB). */
static int walk32(uint64_t cr3, bool pse, uint32_t lin, gpa_read_fn read, void *ctx,
		  uint64_t *gpa)
{
	uint32_t pde, pte;

	if (read(ctx, (cr3 & 0xfffff000) + (lin >> 22) * 4, &pde, 4) || !(pde & PTE_P))
		return -EAGAIN;
	if (pse && (pde & PTE_PS)) {
		*gpa = (pde & 0xffc00000u) | (lin & 0x3fffff);
		return 0;
	}
	if (read(ctx, (pde & 0xfffff000u) + ((lin >> 12) & 1023) * 4, &pte, 4) || !(pte & PTE_P))
		return -EAGAIN;
	*gpa = (pte & 0xfffff000u) | (lin & 0xfff);
	return 0;
}

/* PAE and 4-level paging: 8-byte entries, 9 bits a level; PAE starts at
 * the 4-entry PDPT (CR3 32-byte aligned) whose entries have no PS. */
static int walk64(bool pae, uint64_t cr3, uint64_t lin, gpa_read_fn read, void *ctx,
		  uint64_t *gpa)
{
	uint64_t table = pae ? cr3 & 0xffffffe0UL : cr3 & PTE_ADDR, e;

	for (int level = pae ? 2 : 3; level >= 0; level--) {
		uint64_t idx = (lin >> (12 + 9 * level)) & (pae && level == 2 ? 3 : 511);
		if (read(ctx, table + idx * 8, &e, 8) || !(e & PTE_P))
			return -EAGAIN;
		bool leaf = level == 0 || (level <= 2 && (e & PTE_PS) && !(pae && level == 2));
		if (leaf) {
			uint64_t size = 1UL << (12 + 9 * level);
			*gpa = (e & PTE_ADDR & ~(size - 1)) | (lin & (size - 1));
			return 0;
		}
		table = e & PTE_ADDR;
	}
	return -EAGAIN;
}

int guest_walk(enum paging_mode m, uint64_t cr3, bool pse, uint64_t lin, gpa_read_fn read,
	       void *ctx, uint64_t *gpa)
{
	switch (m) {
	case PAGING_OFF:
		*gpa = (uint32_t)lin;
		return 0;
	case PAGING_32:
		return walk32(cr3, pse, (uint32_t)lin, read, ctx, gpa);
	case PAGING_PAE:
		return walk64(true, cr3, (uint32_t)lin, read, ctx, gpa);
	case PAGING_LONG:
		return walk64(false, cr3, lin, read, ctx, gpa);
	}
	return -EAGAIN;
}
