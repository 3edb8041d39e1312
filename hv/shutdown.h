/* How the hypervisor ends a run, and what its exit status means. */
#ifndef HV_SHUTDOWN_H
#define HV_SHUTDOWN_H

enum sv_exit_status {
	SV_EXIT_OK = 0,       /* everything ran and passed */
	SV_EXIT_FAIL = 1,     /* a self-check or guest test failed */
	SV_EXIT_CONFIG = 2,   /* bad sealvisor.cfg or a missing image */
	SV_EXIT_PANIC = 3,    /* CPU exception or broken internal invariant */
	SV_EXIT_BOOT = 4,     /* firmware or hardware set-up failed, or too little RAM */
	SV_EXIT_WATCHDOG = 5, /* the control partition stopped making progress */
};

/*
 * Prints "sealvisor: exit status N", then stops the machine by the first of:
 * QEMU's isa-debug-exit port, Bochs's magic breakpoint, firmware power-off,
 * the ACPI reset register, the 0xcf9 reset. Never returns.
 */
__attribute__((noreturn)) void system_shutdown(int status);
__attribute__((noreturn, format(printf, 1, 2))) void panic(const char *fmt, ...);

#endif
