#include <stdarg.h>
#include <stdint.h>
#include <sealvisor/errno.h>
#include "boot/config.h"
#include "lib/fmt.h"
#include "hv/log.h"
#include "lib/string.h"

void config_defaults(struct config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->log_level = LOG_INFO;
	cfg->debug_fault = DEBUG_FAULT_NONE;
	cfg->selftest = true;
}

struct name_value {
	const char *name;
	int value;
};

static const struct name_value log_levels[] = {
	{ "error", LOG_ERROR }, { "warn", LOG_WARN },
	{ "info", LOG_INFO },   { "debug", LOG_DEBUG }, { NULL, 0 },
};

static const struct name_value faults[] = {
	{ "none", DEBUG_FAULT_NONE }, { "ud2", DEBUG_FAULT_UD2 },
	{ "pf", DEBUG_FAULT_PF },     { "gp", DEBUG_FAULT_GP },
	{ "de", DEBUG_FAULT_DE },     { "bp", DEBUG_FAULT_BP },
	{ "gs0", DEBUG_FAULT_GS0 },   { NULL, 0 },
};

static const struct name_value ap_starts[] = {
	{ "normal", DEBUG_AP_START_NORMAL }, { "give-up", DEBUG_AP_START_GIVE_UP }, { NULL, 0 },
};

static const struct name_value booleans[] = {
	{ "on", 1 }, { "off", 0 }, { "yes", 1 }, { "no", 0 },
	{ "true", 1 }, { "false", 0 }, { "1", 1 }, { "0", 0 }, { NULL, 0 },
};

/* One parse step's context, so helpers can report "file:line: ...". */
struct ctx {
	const char *file;
	int line;
	char *err;
	size_t errlen;
	int first_guest_line;   /* 0: no guest line yet */
};

#define fail(c, ...) config_fail(c, __VA_ARGS__)
static int config_fail(struct ctx *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static int config_fail(struct ctx *c, const char *fmt, ...)
{
	va_list ap;
	int n = sv_snprintf(c->err, c->errlen, "%s:%d: ", c->file, c->line);

	va_start(ap, fmt);
	if (n >= 0 && (size_t)n < c->errlen)
		sv_vsnprintf(c->err + n, c->errlen - n, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static bool is_space(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\r';
}

static bool eq(const char *s, size_t n, const char *lit)
{
	return strlen(lit) == n && memcmp(s, lit, n) == 0;
}

static int lookup(struct ctx *c, const struct name_value *t, const char *key,
		  const char *v, size_t n, int *out)
{
	for (; t->name; t++) {
		if (eq(v, n, t->name)) {
			*out = t->value;
			return 0;
		}
	}
	return fail(c, "bad value '%.*s' for %s", (int)n, v, key);
}

/* Image paths: relative to the volume root, plain ASCII, no "..". */
static int set_path(struct ctx *c, char *dst, const char *key, const char *v,
		    size_t n)
{
	if (n >= CONFIG_PATH_MAX)
		return fail(c, "%s path is %zu bytes, longer than the %d allowed",
			    key, n, CONFIG_PATH_MAX - 1);
	for (size_t i = 0; i < n; i++) {
		char ch = v[i];
		bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
			  (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' ||
			  ch == '-' || ch == '/';
		if (!ok)
			return fail(c, "bad character '%c' in %s path '%.*s'",
				    ch, key, (int)n, v);
	}
	/* The firmware opens paths from the volume root already: a leading
	 * '/' became "\\\\x" there, which it refused with a baffling error. */
	if (n && v[0] == '/')
		return fail(c, "%s path '%.*s' must be relative to the volume root "
			    "(write '%.*s')", key, (int)n, v, (int)n - 1, v + 1);
	for (size_t i = 0; i + 1 < n; i++)
		if (v[i] == '.' && v[i + 1] == '.')
			return fail(c, "%s path '%.*s' must not contain '..'",
				    key, (int)n, v);
	memcpy(dst, v, n);
	dst[n] = '\0';
	return 0;
}

/* A decimal number in [0, max], no sign, no suffix. */
static int set_uint(struct ctx *c, unsigned *dst, const char *key, const char *v, size_t n,
		    unsigned max, const char *unit)
{
	uint64_t x = 0;

	for (size_t i = 0; i < n && x <= max; i++) {
		if (v[i] < '0' || v[i] > '9')
			x = (uint64_t)max + 1;
		else
			x = x * 10 + (unsigned)(v[i] - '0');
	}
	if (!n || x > max)
		return fail(c, "bad value '%.*s' for %s: a number of %s, 0 to %u",
			    (int)n, v, key, unit, max);
	*dst = (unsigned)x;
	return 0;
}

static int set_key(struct ctx *c, struct config *cfg, const char *k, size_t kn,
		   const char *v, size_t vn)
{
	int b;

	if (eq(k, kn, "control"))
		return set_path(c, cfg->control, "control", v, vn);
	if (eq(k, kn, "guest") || eq(k, kn, "module")) {
		bool data = eq(k, kn, "module");
		if (cfg->nr_guests >= CONFIG_MAX_GUESTS)
			return fail(c, "more than %d guest and module lines", CONFIG_MAX_GUESTS);
		int r = set_path(c, cfg->guests[cfg->nr_guests], data ? "module" : "guest", v, vn);
		if (r)
			return r;
		cfg->guest_is_data[cfg->nr_guests] = data;
		if (cfg->nr_guests++ == 0)
			c->first_guest_line = c->line;
		return 0;
	}
	if (eq(k, kn, "watchdog"))
		return set_uint(c, &cfg->watchdog_s, "watchdog", v, vn, CONFIG_WATCHDOG_MAX, "seconds");
	if (eq(k, kn, "debug.audit_every"))
		return set_uint(c, &cfg->audit_every, "debug.audit_every", v, vn, CONFIG_AUDIT_EVERY_MAX,
				"hypercalls");
	if (eq(k, kn, "log.level"))
		return lookup(c, log_levels, "log.level", v, vn, &cfg->log_level);
	if (eq(k, kn, "debug.fault"))
		return lookup(c, faults, "debug.fault", v, vn, &cfg->debug_fault);
	if (eq(k, kn, "debug.ap_start"))
		return lookup(c, ap_starts, "debug.ap_start", v, vn, &cfg->debug_ap_start);
	if (eq(k, kn, "selftest") || eq(k, kn, "debug.audit")) {
		bool audit = eq(k, kn, "debug.audit");
		int r = lookup(c, booleans, audit ? "debug.audit" : "selftest", v, vn, &b);
		if (r == 0)
			*(audit ? &cfg->audit : &cfg->selftest) = b;
		return r;
	}
	return fail(c, "unknown key '%.*s'", (int)kn, k);
}

static int parse_line(struct ctx *c, struct config *cfg, const char *s, size_t n)
{
	size_t i = 0, eqpos, kend, vstart, vend;

	for (size_t j = 0; j < n; j++) {
		unsigned char ch = (unsigned char)s[j];
		if (ch == '#')
			n = j;  /* comment to end of line */
		else if ((ch < 0x20 && ch != '\t' && ch != '\r') || ch >= 0x7f)
			return fail(c, "invalid byte 0x%02x", ch);
	}
	while (i < n && is_space(s[i]))
		i++;
	if (i == n)
		return 0;  /* blank or comment-only */
	for (eqpos = i; eqpos < n && s[eqpos] != '='; eqpos++)
		;
	if (eqpos == n)
		return fail(c, "expected 'key = value', found '%.*s'", (int)(n - i), s + i);
	for (kend = eqpos; kend > i && is_space(s[kend - 1]); kend--)
		;
	if (kend == i)
		return fail(c, "missing key before '='");
	for (size_t j = i; j < kend; j++)
		if (is_space(s[j]))
			return fail(c, "space inside key '%.*s'", (int)(kend - i), s + i);
	for (vstart = eqpos + 1; vstart < n && is_space(s[vstart]); vstart++)
		;
	for (vend = n; vend > vstart && is_space(s[vend - 1]); vend--)
		;
	if (vend == vstart)
		return fail(c, "missing value for '%.*s'", (int)(kend - i), s + i);
	return set_key(c, cfg, s + i, kend - i, s + vstart, vend - vstart);
}

int config_parse(struct config *cfg, const char *file, const char *text,
		 size_t len, char *err, size_t errlen)
{
	struct config work = *cfg;
	struct ctx c = { file, 0, err, errlen, 0 };
	size_t start = 0;

	if (errlen)
		err[0] = '\0';
	while (start < len) {
		size_t end = start;
		while (end < len && text[end] != '\n')
			end++;
		c.line++;
		int r = parse_line(&c, &work, text + start, end - start);
		if (r)
			return r;
		start = end + 1;
	}
	if (work.nr_guests && !work.control[0]) {
		/* Guests are launched by the control partition: without one
		 * they would be silently ignored. */
		c.line = c.first_guest_line;
		return fail(&c, "'guest =' or 'module =' without 'control =': guests are "
			    "launched by a control partition (e.g. 'control = control.elf')");
	}
	*cfg = work;
	return 0;
}
