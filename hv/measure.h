/*
 * The launch measurement, format v1: SHA-256 over a stream of records,
 * every integer a u64 in little-endian byte order.
 *
 *   at VM_CREATE        "SVLAUNCH" (8 ASCII bytes), u64 1 (the format version)
 *   each VM_POPULATE    u64 1, gpa, len, then the len bytes that landed in
 *                       guest memory (read back from the guest's pages)
 *   at VM_FINALIZE      each region in ascending gpa:
 *                         u64 2, gpa, size, object offset, object seals
 *                       u64 3, number of vCPUs
 *                       each vCPU in ascending id:
 *                         u64 4, id, rip, rsp, rdi, rsi, rdx, rcx, cr3
 *                         (its struct sv_vcpu_regs at VCPU_CREATE)
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

#define LAUNCH_FORMAT_VERSION 1

enum launch_record {
	LAUNCH_POPULATE = 1,
	LAUNCH_REGION = 2,
	LAUNCH_VCPU_COUNT = 3,
	LAUNCH_VCPU = 4,
};

struct vm;

void launch_start(struct sha256 *h);
/* The record head of one populate; its bytes follow with sha256_update. */
void launch_populate_head(struct sha256 *h, uint64_t gpa, uint64_t len);
/* The finalize records of vm's regions and vCPUs. */
void launch_layout(struct sha256 *h, struct vm *vm);

#endif
