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

/* Stopping the machine is the architecture's: arch_shutdown (hv/arch.h). */
#include "hv/arch.h"

__attribute__((noreturn, format(printf, 1, 2))) void panic(const char *fmt, ...);

#endif
