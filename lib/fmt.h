/* The hypervisor's one formatter: a small printf subset, tested on the host. */
#ifndef LIB_FMT_H
#define LIB_FMT_H

#include <stdarg.h>
#include <stddef.h>

/*
 * Supports %d %i %u %x %X %p %s %c %% with flags '-' '0', a width, a
 * precision for %s, and the length modifiers hh h l ll z. Like C99 vsnprintf:
 * always NUL-terminates (if size > 0) and returns the length the full output
 * would have had, so truncation is visible to the caller.
 */
int sv_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int sv_snprintf(char *buf, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
