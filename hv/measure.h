/*
 * The launch measurement, format v2: SHA-256 over a stream of records,
 * every integer a u64 in little-endian byte order.
 *
 *   at VM_CREATE        "SVLAUNCH" (8 ASCII bytes), u64 2 (the format version)
 *   each VM_POPULATE    u64 1, gpa, len, then the len bytes that landed in
 *                       guest memory (read back from the guest's pages)
 *   at VM_FINALIZE      each region in ascending gpa:
 *                         u64 2, gpa, size, object offset, object seals
 *                       u64 5, number of CPUID entries (0: no table), then
 *                         each entry in the order set: function, index,
 *                         flags, eax, ebx, ecx, edx
 *                       u64 6, MSR policy (vm_msr_policy)
 *                       u64 3, number of vCPUs
 *                       each vCPU in ascending id:
 *                         u64 7, id, its initial struct sv_regs (rax, rbx,
 *                         rcx, rdx, rsi, rdi, rsp, rbp, r8-r15, rip,
 *                         rflags), then its struct sv_sregs: each of cs,
 *                         ds, es, fs, gs, ss, tr, ldt as base, limit,
 *                         selector, attr; gdt base, limit; idt base,
 *                         limit; cr0, cr2, cr3, cr4, cr8, efer
 *                         (v1's record 4 is gone: record 7 says more)
 *                         then, only if it is not SV_MP_STATE_RUNNABLE:
 *                         u64 8, id, its MP state (VCPU_SET_MP_STATE)
 *                         (still format 2: a launch with every vCPU
 *                         runnable has the same records as before)
 *   and, right after a region's record 2, only if the region has memory
 *   attributes (SV_HC_VM_SET_MEMORY_ATTRIBUTES or SET_SHARED_MEMORY was
 *   called on it before finalize):
 *                       u64 9, region gpa, number of shared runs n, then
 *                         n times: gpa, length in bytes of a maximal run
 *                         of shared pages, ascending (still format 2: a
 *                         launch without attributes has no record 9)
 *
 * So two launches get one digest only if the same bytes landed at the same
 * places, behind the same layout and seals, and every vCPU starts in the
 * same state. The README repeats this for verifiers; tests/tools has an
 * independent implementation.
 */
#ifndef HV_MEASURE_H
#define HV_MEASURE_H

#include <stdint.h>
#include "lib/sha256.h"

#define LAUNCH_FORMAT_VERSION 2

enum launch_record {
	LAUNCH_POPULATE = 1,
	LAUNCH_REGION = 2,
	LAUNCH_VCPU_COUNT = 3,
	LAUNCH_CPUID = 5,
	LAUNCH_MSR_POLICY = 6,
	LAUNCH_VCPU_STATE = 7,
	LAUNCH_MP_STATE = 8,
	LAUNCH_MEMATTR = 9,
};

struct vm;

void launch_start(struct sha256 *h);
/* The record head of one populate; its bytes follow with sha256_update. */
void launch_populate_head(struct sha256 *h, uint64_t gpa, uint64_t len);
/* The finalize records of vm's regions and vCPUs. */
void launch_layout(struct sha256 *h, struct vm *vm);
/* The VM's MSR policy for record 6 (VM_SET_MSR_POLICY, hv/msr.h). */
uint64_t vm_msr_policy(const struct vm *vm);

#endif
