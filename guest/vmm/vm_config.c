/* A guest's ".vm" settings file (guest/vmm/vm_config.h). Nothing is cut
 * short silently: a value that does not fit is an error naming it. */
#include <stdarg.h>
#include <stdbool.h>
#include <sealvisor/errno.h>
#include <sealvisor/hypercall.h>
#include "guest/vmm/vm_config.h"
#include "lib/fmt.h"
#include "lib/string.h"

struct parse {
	const char *file;
	unsigned line;
	char *err;
	uint64_t errlen;
	unsigned seen;            /* bit per key */
};

static int fail(struct parse *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(struct parse *p, const char *fmt, ...)
{
	va_list ap;
	int n = p->line ? sv_snprintf(p->err, p->errlen, "%s:%u: ", p->file, p->line)
			: sv_snprintf(p->err, p->errlen, "%s: ", p->file);

	va_start(ap, fmt);
	if (n >= 0 && (uint64_t)n < p->errlen)
		sv_vsnprintf(p->err + n, p->errlen - n, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r'; }

static void trim(const char **s, uint64_t *n)
{
	while (*n && is_space(**s))
		(*s)++, (*n)--;
	while (*n && is_space((*s)[*n - 1]))
		(*n)--;
}

static bool eq(const char *s, uint64_t n, const char *lit)
{
	return strlen(lit) == n && memcmp(s, lit, n) == 0;
}

int vm_config_size(const char *s, uint64_t n, uint64_t *out)
{
	uint64_t v = 0, shift = 0;

	if (n && (s[n - 1] == 'K' || s[n - 1] == 'M' || s[n - 1] == 'G')) {
		shift = s[n - 1] == 'K' ? 10 : s[n - 1] == 'M' ? 20 : 30;
		n--;
	}
	if (n == 0)
		return -EINVAL;
	for (uint64_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		if (v > (UINT64_MAX - (uint64_t)(s[i] - '0')) / 10)
			return -ERANGE;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (shift && v > UINT64_MAX >> shift)
		return -ERANGE;
	*out = v << shift;
	return 0;
}

static int copy_name(struct parse *p, char *dst, const char *key, const char *v, uint64_t n)
{
	if (n == 0)
		return fail(p, "%s: empty name", key);
	if (n >= VMCFG_NAME_MAX)
		return fail(p, "%s: name of %lu characters, at most %d", key, (unsigned long)n,
			    VMCFG_NAME_MAX - 1);
	memcpy(dst, v, n);
	dst[n] = 0;
	return 0;
}

static int set_initrds(struct parse *p, struct vm_config *cfg, const char *v, uint64_t n)
{
	while (n) {
		uint64_t len = 0;
		while (len < n && v[len] != ',')
			len++;
		const char *name = v;
		uint64_t nn = len;
		trim(&name, &nn);
		if (cfg->nr_initrds == VMCFG_MAX_INITRDS)
			return fail(p, "initrd: more than %d modules", VMCFG_MAX_INITRDS);
		int r = copy_name(p, cfg->initrd[cfg->nr_initrds++], "initrd", name, nn);
		if (r)
			return r;
		if (len == n)
			break;
		v += len + 1;
		n -= len + 1;
		if (n == 0)
			return fail(p, "initrd: empty name after the last ','");
	}
	return 0;
}

static int set_number(struct parse *p, const char *key, const char *v, uint64_t n, bool size,
		      uint64_t min, uint64_t max, uint64_t *out)
{
	uint64_t x = 0;
	int r = vm_config_size(v, n, &x);

	if (r == 0 && !size && (v[n - 1] < '0' || v[n - 1] > '9'))
		r = -EINVAL;           /* a count takes no suffix */
	if (r)
		return fail(p, "%s: '%.*s' is not a %s", key, (int)(n > 40 ? 40 : n), v,
			    size ? "size (digits, then K, M or G)" : "number");
	if (x < min || x > max)
		return fail(p, "%s: %lu is outside %lu..%lu", key, (unsigned long)x,
			    (unsigned long)min, (unsigned long)max);
	*out = x;
	return 0;
}

enum key { KEY_KERNEL, KEY_APPEND, KEY_INITRD, KEY_MEMORY, KEY_VCPUS, KEY_COM1_INPUT };
static const char *const keys[] = { "kernel", "append", "initrd", "memory", "vcpus",
				    "com1_input" };

static int set_key(struct parse *p, struct vm_config *cfg, enum key k, const char *v, uint64_t n)
{
	uint64_t x;
	int r;

	switch (k) {
	case KEY_KERNEL:
		return copy_name(p, cfg->kernel, "kernel", v, n);
	case KEY_APPEND:
		if (n >= VMCFG_APPEND_MAX)
			return fail(p, "append: %lu characters, at most %d", (unsigned long)n,
				    VMCFG_APPEND_MAX - 1);
		memcpy(cfg->append, v, n);
		cfg->append[n] = 0;
		return 0;
	case KEY_INITRD:
		return set_initrds(p, cfg, v, n);
	case KEY_MEMORY:
		r = set_number(p, "memory", v, n, true, VMCFG_MIN_MEMORY, UINT64_MAX, &cfg->memory);
		if (r == 0 && cfg->memory % 4096)
			return fail(p, "memory: %lu is not a multiple of 4 KiB",
				    (unsigned long)cfg->memory);
		return r;
	case KEY_VCPUS:
		r = set_number(p, "vcpus", v, n, false, 1, SV_MAX_VCPUS, &x);
		cfg->vcpus = (unsigned)x;
		return r;
	case KEY_COM1_INPUT:
		return copy_name(p, cfg->com1_input, "com1_input", v, n);
	}
	return -EINVAL;
}

static int parse_line(struct parse *p, struct vm_config *cfg, const char *s, uint64_t n)
{
	uint64_t eqpos = 0;

	trim(&s, &n);
	if (n == 0 || s[0] == '#')
		return 0;
	while (eqpos < n && s[eqpos] != '=')
		eqpos++;
	if (eqpos == n)
		return fail(p, "expected 'key = value', got '%.*s'", (int)(n > 40 ? 40 : n), s);
	const char *k = s, *v = s + eqpos + 1;
	uint64_t kn = eqpos, vn = n - eqpos - 1;
	trim(&k, &kn);
	trim(&v, &vn);
	for (unsigned i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		if (!eq(k, kn, keys[i]))
			continue;
		if (p->seen & (1u << i))
			return fail(p, "%s given twice", keys[i]);
		p->seen |= 1u << i;
		return set_key(p, cfg, (enum key)i, v, vn);
	}
	return fail(p, "unknown key '%.*s' (kernel, append, initrd, memory, vcpus, com1_input)",
		    (int)(kn > 40 ? 40 : kn), k);
}

void vm_config_defaults(struct vm_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->memory = VMCFG_DEFAULT_MEMORY;
	cfg->vcpus = 1;
}

int vm_config_parse(struct vm_config *cfg, const char *file, const char *text, uint64_t len,
		    char *err, uint64_t errlen)
{
	struct parse p = { file, 0, err, errlen, 0 };

	vm_config_defaults(cfg);
	for (uint64_t at = 0; at < len;) {
		uint64_t end = at;
		while (end < len && text[end] != '\n')
			end++;
		p.line++;
		for (uint64_t i = at; i < end; i++)
			if (text[i] == 0)
				return fail(&p, "NUL byte in a text file");
		int r = parse_line(&p, cfg, text + at, end - at);
		if (r)
			return r;
		at = end + 1;
	}
	if (!cfg->kernel[0]) {
		p.line = 0;
		return fail(&p, "no 'kernel =' line");
	}
	return 0;
}
