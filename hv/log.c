#include <stdarg.h>
#include "arch/x86/serial.h"
#include "lib/fmt.h"
#include "hv/log.h"
#include "mm/spinlock.h"

static int log_level = LOG_INFO;
/* Serialises whole lines so output from several CPUs never interleaves. */
static spinlock_t console_lock = SPINLOCK_INIT;

static const char *const level_prefix[] = {
	[LOG_ERROR] = "hv: error: ",
	[LOG_WARN] = "hv: warning: ",
	[LOG_INFO] = "hv: ",
	[LOG_DEBUG] = "hv: debug: ",
};

void log_set_level(int level)
{
	log_level = level;
}

int log_enabled(int level)
{
	return level <= log_level;
}

void console_write(const char *s, unsigned long len)
{
	spin_lock(&console_lock);
	serial_write(s, len);
	spin_unlock(&console_lock);
}

static void vprint(const char *prefix, const char *fmt, va_list ap)
{
	char line[512];
	int p = sv_snprintf(line, sizeof(line), "%s", prefix);
	int n = sv_vsnprintf(line + p, sizeof(line) - p, fmt, ap);

	if (p + n >= (int)sizeof(line)) {
		/* Never drop output silently: mark the cut. */
		static const char cut[] = "...[line cut]\n";
		for (unsigned i = 0; i < sizeof(cut); i++)
			line[sizeof(line) - sizeof(cut) + i] = cut[i];
		n = sizeof(line) - 1 - p;
	}
	console_write(line, p + n);
}

void log_printf(int level, const char *fmt, ...)
{
	va_list ap;

	if (level > log_level)
		return;
	va_start(ap, fmt);
	vprint(level_prefix[level], fmt, ap);
	va_end(ap);
}

void console_printf(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprint("", fmt, ap);
	va_end(ap);
}
