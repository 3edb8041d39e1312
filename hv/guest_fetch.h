/*
 * The bytes of a guest's current instruction, read by the hypervisor
 * (which may read a guest's private memory: it is trusted) through the
 * guest's own page tables, for the instructions it emulates (the xAPIC
 * page, hv/vlapic_mmio.c). Each guest-physical read holds the memory
 * object's lock, as the fault path does (memobj_get_page ..
 * memobj_put_page), so a punch cannot free the page under the read.
 */
#ifndef HV_GUEST_FETCH_H
#define HV_GUEST_FETCH_H

#include <stdint.h>
#include "hv/insn_decode.h"
#include "hv/virt.h"

/* len bytes at gpa within one page of one of the VM's regions: 0, or
 * -EFAULT (no region). */
int guest_read_gpa(struct vm *vm, uint64_t gpa, void *out, unsigned len);
/* The same for a vCPU's VM, as a gpa_read_fn (hv/cr_policy.h) for
 * guest_walk: ctx is the struct vcpu. The one way the hypervisor reads a
 * partition's memory to emulate an instruction (SVM CR writes, VMX PAE
 * PDPTEs, the xAPIC page). */
int guest_read_vcpu_gpa(void *vcpu, uint64_t gpa, void *out, unsigned len);
/* Up to n bytes at the vCPU's RIP, as c describes it: how many could be
 * read (an instruction may end just before an unmapped page). *mode: how
 * to decode them; -EOPNOTSUPP for 16-bit code (no decoder for it). */
int guest_fetch_insn(struct vcpu *v, const struct guest_code *c, uint8_t *buf, unsigned n,
		     enum insn_mode *mode, unsigned *got);

#endif
