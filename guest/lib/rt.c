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
