/* Partition-side runtime: hypercalls, console, the bits of libc we use. */
#ifndef GUEST_SV_H
#define GUEST_SV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sealvisor/hypercall.h>
#include "lib/fmt.h"
#include "lib/string.h"

/* Which instruction calls the hypervisor: set once at start-up. */
extern uint8_t sv_vendor;
void sv_detect_vendor(void);

static inline int64_t sv_call(uint64_t nr, uint64_t a0, uint64_t a1, uint64_t a2,
			      uint64_t a3, uint64_t a4)
{
	register uint64_t r10 __asm__("r10") = a3;
	register uint64_t r8 __asm__("r8") = a4;
	uint64_t ret = nr;

	if (sv_vendor == SV_VENDOR_INTEL)
		__asm__ volatile("vmcall" : "+a"(ret) : "D"(a0), "S"(a1), "d"(a2), "r"(r10), "r"(r8)
				 : "memory");
	else
		__asm__ volatile("vmmcall" : "+a"(ret) : "D"(a0), "S"(a1), "d"(a2), "r"(r10), "r"(r8)
				 : "memory");
	return (int64_t)ret;
}

#define sv_call0(nr) sv_call(nr, 0, 0, 0, 0, 0)
#define sv_call1(nr, a) sv_call(nr, a, 0, 0, 0, 0)
#define sv_call2(nr, a, b) sv_call(nr, a, b, 0, 0, 0)
#define sv_call3(nr, a, b, c) sv_call(nr, a, b, c, 0, 0)
#define sv_call4(nr, a, b, c, d) sv_call(nr, a, b, c, d, 0)
#define sv_call5(nr, a, b, c, d, e) sv_call(nr, a, b, c, d, e)

/* Control partition console (CONSOLE_WRITE). */
void sv_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
__attribute__((noreturn)) void sv_shutdown(int status);
const char *sv_strerror(int64_t err);
uint32_t sv_abi_version(void);
/* Sets sv_vendor from the boot parameters and refuses to go on (status 2)
 * unless the hypervisor's ABI version is one this image was built for. */
void sv_control_init(const struct sv_boot_params *bp, const char *who);

#endif
