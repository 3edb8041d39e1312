/*
 * Exceptions in test kernels: an IDT whose handlers record what arrived,
 * so a test can provoke a fault and check exactly which one the CPU (or
 * the hypervisor, by injecting it) delivered.
 *
 *   struct trap t;
 *   trap_init();
 *   if (trap_catch(my_fn, arg, &t))
 *       check(t.vector == 13 && t.error == 0 ...);
 *
 * trap_catch runs fn(arg); if an exception arrives meanwhile, the handler
 * records it and trap_catch returns 1 at once (fn does not resume, like a
 * longjmp out of a signal handler); if fn returns, trap_catch returns 0.
 * An exception outside trap_catch prints what it was and exits the kernel
 * with status 3.
 */
#ifndef GUEST_TRAP_H
#define GUEST_TRAP_H

#include <stdint.h>

struct trap {
	uint64_t vector, error;   /* error: 0 for vectors without an error code */
	uint64_t rip, cr2, rflags;
	uint64_t count;           /* exceptions caught since trap_init */
};

/* Loads a GDT (flat 64-bit code 0x08, data 0x10) and an IDT covering
 * vectors 0-31 on this vCPU. Each vCPU calls it once. */
void trap_init(void);
/* Loads the GDT and IDT trap_init set up on another vCPU, leaving the
 * gates as they are (a hook another vCPU installed stays). */
void trap_load(void);
/* Points IDT entry `vector` at handler (an interrupt gate, ring 0). */
void trap_set_gate(unsigned vector, const void *handler);
int trap_catch(void (*fn)(void *), void *arg, struct trap *out);
/* Runs fn at CPL 3 with these RFLAGS (IF clear), on a user stack below
 * the caller's. It never returns: fn must end in an exception, which
 * trap_catch then reports (call it inside trap_catch). */
__attribute__((noreturn)) void trap_enter_user(void (*fn)(void), uint64_t rflags);
/* This vCPU's index, from its stack (layout.h): valid in handlers too. */
unsigned trap_vcpu_index(void);
/* Exceptions caught on this vCPU so far (all of them, not just the last). */
uint64_t trap_count(void);

/* RDMSR/WRMSR as trap_catch functions (arg: struct msr_access *), for
 * tests of which MSRs fault. */
struct msr_access { uint32_t index; uint64_t value; };
void trap_rdmsr(void *msr_access);
void trap_wrmsr(void *msr_access);

#endif
