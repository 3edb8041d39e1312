/*
 * What the hypervisor is told to do (\sealvisor.cfg, parsed by boot/config.c
 * into this struct before ExitBootServices).
 */
#ifndef HV_CONFIG_H
#define HV_CONFIG_H

#include <stdbool.h>

#define CONFIG_PATH_MAX 64
#define CONFIG_MAX_GUESTS 16
#define CONFIG_ERR_MAX 160
#define CONFIG_WATCHDOG_MAX 86400   /* seconds: a day */
#define CONFIG_AUDIT_EVERY_MAX 1000000

enum debug_fault {
	DEBUG_FAULT_NONE,
	DEBUG_FAULT_UD2,   /* invalid opcode */
	DEBUG_FAULT_PF,    /* read of the unmapped page 0 */
	DEBUG_FAULT_GP,    /* non-canonical access */
	DEBUG_FAULT_DE,    /* divide by zero */
	DEBUG_FAULT_BP,    /* int3 */
	DEBUG_FAULT_GS0,   /* GS base 0 and a guest's RBP, then gs:0 (the 25f09b2 crash) */
};

enum debug_ap_start {
	DEBUG_AP_START_NORMAL,
	DEBUG_AP_START_GIVE_UP,   /* give up on every AP right after its first SIPI */
};

struct config {
	char control[CONFIG_PATH_MAX];                 /* control partition image */
	/* Files handed to the control partition, in config order: images
	 * it launches ("guest =") and data its guests use ("module =": a
	 * kernel or initrd a guest's settings file names). */
	char guests[CONFIG_MAX_GUESTS][CONFIG_PATH_MAX];
	bool guest_is_data[CONFIG_MAX_GUESTS];
	int nr_guests;
	int log_level;                                 /* enum log_level */
	int debug_fault;                               /* enum debug_fault */
	int debug_ap_start;                            /* enum debug_ap_start */
	bool selftest;                                 /* allocator self-check at boot */
	bool audit;                                    /* stage-2 audit after each hypercall */
	unsigned audit_every;                          /* 0, or audit after every Nth hypercall */
	unsigned watchdog_s;                           /* 0: off (hv/watchdog.h) */
};

#endif
