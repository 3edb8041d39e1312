/*
 * SVM TLB tagging: which ASID a VM uses, and the TLB_CONTROL each entry
 * carries. Kept apart from svm.c so that host tests can check the flush
 * decision against a VMCB in memory (the emulators flush on every world
 * switch, so a missing flush would pass every boot test).
 */
#ifndef ARCH_X86_SVM_SVM_TLB_H
#define ARCH_X86_SVM_SVM_TLB_H

#include <stdbool.h>

#define TLB_CONTROL_NONE       0
#define TLB_CONTROL_FLUSH_ALL  1
#define TLB_CONTROL_FLUSH_ASID 3

struct vm;
struct vcpu;

/* ASID 0 is the host's; VM slot n gets ASID n + 1 while the CPU has that
 * many, and the rest share ASID 1 (the control partition's). nr_asids as
 * CPUID 0x8000000A EBX reports it. */
void svm_assign_asid(struct vm *vm, unsigned nr_asids);
/* Before VMRUN of v (after this CPU published it, inside vcpu_enter):
 * writes the VMCB's TLB_CONTROL. */
void svm_tlb_prepare(struct vcpu *v, void *vmcb, bool flush_by_asid);

#endif
