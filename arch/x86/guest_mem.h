/* A partition's memory as the hypervisor reads it to emulate an
 * instruction (arch/x86/guest_mem.c). */
#ifndef ARCH_X86_GUEST_MEM_H
#define ARCH_X86_GUEST_MEM_H

#include <stdint.h>

/* A gpa_read_fn (hv/cr_policy.h), ctx the struct vcpu: len bytes at gpa
 * within one page, if stage 2 maps it now: 0, else -EAGAIN. */
int guest_read_gpa(void *vcpu, uint64_t gpa, void *out, unsigned len);

#endif
