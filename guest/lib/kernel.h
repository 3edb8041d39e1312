/* Runtime for in-guest test kernels: COM1 output, the 0xf4 exit port and
 * calls to the VMM, all of which the VMM emulates. */
#ifndef GUEST_KERNEL_H
#define GUEST_KERNEL_H

#include <stdint.h>
#include "guest/lib/sv.h"

void kprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
__attribute__((noreturn)) void kexit(int status);
/* A secondary vCPU whose work is over: HLT, which its VMM takes as "done". */
__attribute__((noreturn)) void kpark(void);
/* A test kernel's checks of a call's result: kexpect counts each in
 * kchecks, and a wrong one in kfailures with a FAIL line naming what was
 * checked, the value got and the one wanted (with their errno names). */
extern unsigned kchecks, kfailures;
void kexpect(const char *what, int64_t got, int64_t want);
/* A call to the VMM (SV_HC_GUEST_BASE and up). */
int64_t vmm_call(uint64_t nr, uint64_t a0, uint64_t a1);

/* How many vCPUs this kernel wants (an ELF note the VMM reads). All start
 * at _start with their id in RDI. */
#define KERNEL_VCPUS(n)                                                          \
	__attribute__((section(".note.sealvisor"), aligned(4), used))           \
	static const struct { uint32_t namesz, descsz, type; char name[12]; uint32_t count; } \
	sealvisor_vcpus_note = { 10, 4, 1, "sealvisor", (n) }

/* The MSR policy (SV_MSR_POLICY_*) this kernel asks its VMM to set before
 * finalize (an ELF note too); without it, SV_MSR_POLICY_GP. */
#define KERNEL_MSR_POLICY(p)                                                     \
	__attribute__((section(".note.sealvisor"), aligned(4), used))           \
	static const struct { uint32_t namesz, descsz, type; char name[12]; uint32_t policy; } \
	sealvisor_msr_policy_note = { 10, 4, 2, "sealvisor", (p) }

/* How vCPUs 1..n-1 start (SV_AP_START_*, include/sealvisor/elf64.h): with
 * SV_AP_START_SIPI the VMM creates them waiting for INIT/SIPI from vCPU 0
 * (an ELF note too); without it, all start at _start. */
#define KERNEL_AP_START(how)                                                     \
	__attribute__((section(".note.sealvisor"), aligned(4), used))           \
	static const struct { uint32_t namesz, descsz, type; char name[12]; uint32_t v; } \
	sealvisor_ap_start_note = { 10, 4, 5, "sealvisor", (how) }

/* The memory, page tables and initial registers the demo VMM gives every
 * test kernel: guest/vmm/layout.h. */

#endif
