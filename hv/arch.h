/*
 * The hooks generic code needs from the architecture. arch/x86 implements
 * them; host builds of hv/ (unit tests, the fuzzer) provide their own.
 * Everything else arch/ offers is reached only from hv/main.c's bring-up
 * or through the backend ops table (hv/virt.h).
 */
#ifndef HV_ARCH_H
#define HV_ARCH_H

/* The calling CPU's index, 0 = the boot CPU (arch/x86/percpu.c). */
unsigned arch_cpu_id(void);

/* Picks the virtualization backend the CPU supports and sets `virt`;
 * -ENODEV (and logs why) if none (arch/x86/virt.c). */
int arch_virt_select(void);

/*
 * Prints "sealvisor: exit status N", then stops the machine by the first of:
 * QEMU's isa-debug-exit port, Bochs's magic breakpoint, firmware power-off,
 * the ACPI reset register, the 0xcf9 reset. Never returns
 * (arch/x86/shutdown.c). Statuses: enum sv_exit_status, hv/shutdown.h.
 */
__attribute__((noreturn)) void arch_shutdown(int status);

/* Fills out with len bytes from the CPU's entropy source, RDSEED, or
 * RDRAND where there is no RDSEED or it keeps failing (arch/x86/entropy.c);
 * *source names which. -ENODEV if the CPU has neither, -EIO if what it
 * has keeps failing or gives words that cannot be random (constant, zero,
 * repeated: hv/entropy_check.h): never a weaker seed. */
int arch_entropy(void *out, unsigned long len, const char **source);

#endif
