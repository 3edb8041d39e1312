#ifndef ARCH_X86_TRAP_H
#define ARCH_X86_TRAP_H

#include <stdint.h>

/* The stack layout built by trap_stubs/trap_common in entry.asm. */
struct trap_frame {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
	uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
	uint64_t vector, error;
	uint64_t rip, cs, rflags, rsp, ss;     /* pushed by the CPU */
};

typedef void (*irq_handler_t)(struct trap_frame *f);

void trap_init(void);                  /* build and load the IDT */
void trap_load_idt(void);              /* load it on another CPU */
void trap_set_handler(unsigned vector, irq_handler_t fn);
/* Runs the host's NMI handling for an NMI the CPU did not deliver through
 * the IDT (a VMX NMI exit consumed it), as delivery would have: call with
 * NMIs still blocked. */
void trap_dispatch_nmi(void);
/* Print the registers at the call site and a backtrace (used by panic). */
void arch_dump_here(void);
/* debug.fault = gs0: what an SVM exit once left (host GS base 0, the
 * guest's RBP 0x10efe0), then the per-CPU read that faults on it. The dump
 * must come out once and stop with SV_EXIT_PANIC. */
void arch_debug_fault_gs0(void);

#endif
