/*
 * A VM's CPUID table (VM_SET_CPUID): which tables the hypervisor accepts,
 * and the answer a guest gets from one. Host-testable: the host CPU's
 * CPUID comes in as a function.
 */
#ifndef HV_CPUID_POLICY_H
#define HV_CPUID_POLICY_H

#include <stdbool.h>
#include <sealvisor/hypercall.h>
#include "arch/x86/x86.h"

typedef struct cpuid_regs (*cpuid_fn)(uint32_t leaf, uint32_t sub);

/* 0, or -EINVAL with a message naming the leaf, register and bit in
 * why[len] for the first entry the hypervisor cannot give: malformed
 * (flags other than SV_CPUID_FLAG_INDEX, pad), a duplicate, a leaf of the
 * hypervisor's own (0x40000000-0x400000ff), nested virtualization (1.ECX
 * bit 5 VMX, 0x80000001.ECX bit 2 SVM), MONITOR/MWAIT (1.ECX bit 3), or a
 * feature flag the host (x2APIC: 1.ECX bit 21, given by the vLAPIC where the
 * host has it)
 * does not have (1.ECX/EDX, 7.0.EBX/ECX/EDX, 7.1.EAX, 0x80000001.ECX/EDX, except
 * 1.ECX bit 31, "hypervisor present"). */
int cpuid_policy_check(const struct sv_cpuid_entry *e, unsigned n, cpuid_fn host, char *why,
		       unsigned len);

/* The table's answer for (leaf, sub): false if no entry matches (the
 * guest then reads zeros). */
bool cpuid_policy_lookup(const struct sv_cpuid_entry *e, unsigned n, uint32_t leaf,
			 uint32_t sub, struct cpuid_regs *out);

#endif
