/*
 * sv-measure: the launch measurement verifier. Writes to stdout the exact
 * byte stream (format v2) the hypervisor hashes when the demo VMM launches
 * a guest ELF image; its SHA-256 is the launch digest:
 *
 *     build/tools/sv-measure build/guests/hello.elf | sha256sum
 *
 * Hashing is left to coreutils on purpose: a verifier that shared the
 * hypervisor's SHA-256 would share its bugs. tests/tools/sv-measure.sh
 * prints the digest.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "tests/tools/launch_stream.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: sv-measure [--mem BYTES] [--pt-gpa GPA] [--seals SEALS] IMAGE\n"
		   "Writes the launch-measurement stream (format v2) of the demo VMM launching\n"
		   "the guest ELF IMAGE to stdout; pipe it into sha256sum for the digest.\n"
		   "Defaults are the demo VMM's (guest/vmm/layout.h).\n");
}

static int parse_u64(const char *opt, const char *arg, uint64_t *out)
{
	char *end;

	if (!arg) {
		fprintf(stderr, "sv-measure: %s needs a value\n", opt);
		return -1;
	}
	*out = strtoull(arg, &end, 0);
	if (!*arg || *end || *arg == '-') {
		fprintf(stderr, "sv-measure: %s: '%s' is not a number\n", opt, arg);
		return -1;
	}
	return 0;
}

/* The whole image in memory: the VMM sees it as one module, so do we. */
static void *read_image(const char *path, size_t *size)
{
	FILE *f = fopen(path, "rb");
	void *buf = NULL;
	long n;

	if (!f || fseek(f, 0, SEEK_END) || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) ||
	    !(buf = malloc(n ? (size_t)n : 1)) || fread(buf, 1, (size_t)n, f) != (size_t)n) {
		fprintf(stderr, "sv-measure: %s: %s\n", path, strerror(errno));
		free(buf);
		buf = NULL;
	}
	*size = buf ? (size_t)n : 0;
	if (f)
		fclose(f);
	return buf;
}

static void write_stdout(void *ctx, const void *data, size_t len)
{
	if (fwrite(data, 1, len, stdout) != len)
		*(int *)ctx = 1;
}

/* The option naming a layout field, or NULL. */
static uint64_t *layout_option(struct demo_layout *l, const char *a)
{
	return !strcmp(a, "--mem") ? &l->mem : !strcmp(a, "--pt-gpa") ? &l->pt_gpa
		: !strcmp(a, "--seals") ? &l->seals : NULL;
}

int main(int argc, char **argv)
{
	struct demo_layout l;
	const char *path = NULL;

	demo_layout_default(&l);
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		uint64_t *field = layout_option(&l, a);
		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			usage(stdout);
			return 0;
		} else if (field) {
			if (parse_u64(a, argv[++i], field))   /* argv[argc] is NULL */
				return 2;
		} else if (a[0] == '-' || path) {
			fprintf(stderr, "sv-measure: unexpected argument '%s'\n", a);
			usage(stderr);
			return 2;
		} else {
			path = a;
		}
	}
	if (!path) {
		usage(stderr);
		return 2;
	}
	/* The stream is binary: better an error than garbage on a terminal. */
	if (isatty(STDOUT_FILENO)) {
		fprintf(stderr, "sv-measure: stdout is a terminal; pipe it into sha256sum\n");
		return 2;
	}
	size_t size;
	void *img = read_image(path, &size);
	if (!img)
		return 1;
	char err[256];
	int write_failed = 0;
	struct ls_sink out = { write_stdout, &write_failed };
	int r = demo_launch_stream(img, size, &l, &out, err, sizeof(err));
	free(img);
	if (r) {
		fprintf(stderr, "sv-measure: %s: %s\n", path, err);
		return 1;
	}
	if (fflush(stdout) || write_failed) {
		fprintf(stderr, "sv-measure: writing the stream: %s\n", strerror(errno));
		return 1;
	}
	return 0;
}
