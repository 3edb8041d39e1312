#include <stdarg.h>
#include "guest/lib/sv.h"
#include "lib/errno_name.h"

uint8_t sv_vendor;

void sv_detect_vendor(void)
{
	uint32_t ebx, ecx, edx, eax = 0;

	__asm__ volatile("cpuid" : "+a"(eax), "=b"(ebx), "=c"(ecx), "=d"(edx));
	sv_vendor = ebx == 0x756e6547 /* "Genu" */ ? SV_VENDOR_INTEL : SV_VENDOR_AMD;
}

void sv_printf(const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	int n = sv_vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n >= (int)sizeof(buf))
		n = sizeof(buf) - 1;   /* the console shows the cut: no newline */
	sv_call2(SV_HC_CONSOLE_WRITE, (uint64_t)buf, (uint64_t)n);
}

void sv_shutdown(int status)
{
	sv_call1(SV_HC_SYSTEM_SHUTDOWN, (uint64_t)status);
	for (;;)
		__asm__ volatile("hlt");
}

/* The name from lib/errno_name.c's table (the hypervisor logs use the
 * same one); a value >= 0 is not an error. */
const char *sv_strerror(int64_t err)
{
	if (err > 0)
		return "a value, not an error";
	return errno_name(err);
}

static void cpuid_leaf(uint32_t leaf, uint32_t r[4])
{
	__asm__ volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3])
			 : "a"(leaf), "c"(0));
}

/* The hypervisor's ABI version from CPUID, or 0 if it has none (not
 * sealvisor, or one from before the version leaf). */
uint32_t sv_abi_version(void)
{
	uint32_t r[4];

	cpuid_leaf(SV_CPUID_LEAF, r);
	if (r[1] != SV_CPUID_SIG_EBX || r[2] != SV_CPUID_SIG_ECX || r[3] != SV_CPUID_SIG_EDX ||
	    r[0] < SV_CPUID_ABI_LEAF)
		return 0;
	cpuid_leaf(SV_CPUID_ABI_LEAF, r);
	return r[0];
}

/* Every control partition starts here: a partition built for another ABI
 * would misread every call, so it refuses before the first one but
 * CONSOLE_WRITE and SYSTEM_SHUTDOWN (stable since version 1.0). Status 2:
 * the configuration names an image this hypervisor cannot run. */
void sv_control_init(const struct sv_boot_params *bp, const char *who)
{
	uint32_t v;

	sv_vendor = bp->vendor;
	v = sv_abi_version();
	if (sv_abi_compatible(v))
		return;
	sv_printf("%s: hypervisor ABI version %u.%u, this image needs %u.%u or a later "
		  "%u.x: refusing to run\n", who, v >> 16, v & 0xffff, SV_ABI_MAJOR,
		  SV_ABI_MINOR, SV_ABI_MAJOR);
	sv_shutdown(2);
}
