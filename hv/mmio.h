/*
 * Guest accesses to gpas no region backs (issue 12 item 4): the
 * hypervisor decodes the faulting instruction (hv/insn_decode.c) so that
 * the VMM gets the access's size and, for a write, its value, and never
 * the guest's memory or other registers; a read's answer goes into the
 * right register on the next VCPU_RUN. The xAPIC page (hv/vlapic_mmio.c)
 * uses the same decoding.
 */
#ifndef HV_MMIO_H
#define HV_MMIO_H

#include <stdbool.h>
#include <stdint.h>
#include <sealvisor/hypercall.h>
#include "hv/insn_decode.h"

struct vcpu;
struct vm_exit;

/* The instruction at v's RIP as an access in direction `write`, and its
 * register operand (NULL for an immediate): false if it cannot be decoded
 * (fetch failed, not a form the decoder takes, other direction, RSP). */
bool mmio_decode(struct vcpu *v, bool write, struct mmio_insn *d, uint64_t **reg);
/* Fills run->mmio for a stage-2 fault nobody resolved: size 0 if not
 * decoded (RIP stays; as before), else size and, for a write, data; the
 * instruction completes on the next VCPU_RUN (mmio_apply_answer). */
void mmio_exit_for_vmm(struct vcpu *v, const struct vm_exit *e, struct sv_run *run);
/* The next VCPU_RUN after a decoded SV_EXIT_MMIO: a read takes the VMM's
 * run->mmio.data; RIP moves past the instruction. */
void mmio_apply_answer(struct vcpu *v, const struct sv_run *run);

#endif
