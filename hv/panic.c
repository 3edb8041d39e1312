#include <stdarg.h>
#include "arch/x86/trap.h"
#include "lib/fmt.h"
#include "hv/log.h"
#include "hv/shutdown.h"

void panic(const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	sv_vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	console_printf("\n*** PANIC: %s\n", msg);
	arch_dump_here();
	arch_shutdown(SV_EXIT_PANIC);
}
