/*
 * Mode switches a partition makes itself: the verdicts of MOV to CR0/CR4
 * and WRMSR to EFER (SDM vol. 3 2.5 and 9.8.5, APM vol. 2 14.6 and 3.1),
 * and who follows whom. EFER.LMA is never written by anyone but these
 * rules: it becomes CR0.PG && EFER.LME when CR0.PG changes, as the CPU
 * does it. Pure functions of their arguments (host-tested in
 * tests/unit/test_modes.c); the backends' CR and MSR intercepts apply
 * them and then make their control block follow (VMX: the "IA-32e mode
 * guest" entry control, the PDPTE fields).
 */
#ifndef HV_CR_POLICY_H
#define HV_CR_POLICY_H

#include <stdbool.h>
#include <stdint.h>
#include "hv/xstate_policy.h"

#define CR4_PSE (1UL << 4)
#define EFER_SCE_BIT  (1UL << 0)
#define EFER_LME_BIT  (1UL << 8)
#define EFER_LMA_BIT  (1UL << 10)
#define EFER_NXE_BIT  (1UL << 11)
#define EFER_SVME_BIT (1UL << 12)

/* The control state a write is judged against. */
struct cr_state {
	uint64_t cr0, cr4, efer, cr3;
	bool cs_l;      /* CS.L: 64-bit code (meaningful with EFER.LMA) */
};

/* MOV to CR0 (or CLTS/LMSW's result) *val: 0, the CR0 to apply in *val and
 * the EFER that goes with it in *efer (LMA following CR0.PG with LME), or
 * -EINVAL (#GP, nothing changes). */
int cr0_write_check(const struct cr_state *s, uint64_t *val, uint64_t *efer);
/* MOV to CR4 *val against the CR4 bits the host allows: 0 or -EINVAL. */
int cr4_write_check(const struct cr_state *s, uint64_t *val, uint64_t allowed);
/* WRMSR to EFER *val (SVME already stripped by the caller's view): 0 and
 * the value to store in *val (LMA kept: the CPU's, not written), or
 * -EINVAL. cur is the current EFER, cr0 the current CR0. */
int efer_write_check(uint64_t cur, uint64_t cr0, uint64_t *val);

enum paging_mode { PAGING_OFF, PAGING_32, PAGING_PAE, PAGING_LONG };
enum paging_mode paging_mode(uint64_t cr0, uint64_t cr4, uint64_t efer);

/* A PAE page-directory-pointer entry the CPU would load (MOV to CR0/CR3/
 * CR4 in PAE paging): not present, or no reserved bit (2:1, 8:5, and from
 * the physical-address width up). */
bool pdpte_valid(uint64_t e, unsigned phys_bits);

/* Reads len bytes of guest-physical memory: 0, or nonzero if not mapped. */
typedef int (*gpa_read_fn)(void *ctx, uint64_t gpa, void *out, unsigned len);
/* The guest-physical address of linear address lin in paging mode m with
 * this CR3 (no permission checks: the hypervisor reads the instruction
 * the guest just executed): 0, or -EAGAIN if a table is not mapped or an
 * entry not present. */
int guest_walk(enum paging_mode m, uint64_t cr3, bool pse, uint64_t lin, gpa_read_fn read,
	       void *ctx, uint64_t *gpa);

#endif
