/* The attestation key's seed (hv/arch.h arch_entropy): RDSEED, which
 * reads the conditioned entropy source itself, or RDRAND (a DRBG the CPU
 * reseeds from that source) on CPUs without RDSEED or whose RDSEED keeps
 * failing. Both may fail transiently (CF = 0) when drained: retried a
 * bounded number of times, as Intel's DRNG guide advises, then given up
 * rather than falling back to anything weaker. Words that report success
 * but cannot be random (hv/entropy_check.h: constant, zero, repeated) count
 * as that source failing. */
#include <stdbool.h>
#include <sealvisor/errno.h>
#include "arch/x86/x86.h"
#include "hv/arch.h"
#include "hv/entropy_check.h"
#include "lib/string.h"

#define ENTROPY_RETRIES 1000

static bool has_rdseed(void)
{
	return cpuid(0, 0).eax >= 7 && (cpuid(7, 0).ebx & (1u << 18));
}

static bool has_rdrand(void)
{
	return cpuid(1, 0).ecx & (1u << 30);
}

static bool rdseed64(uint64_t *v)
{
	bool ok;

	__asm__ volatile("rdseed %0" : "=r"(*v), "=@ccc"(ok));
	return ok;
}

static bool rdrand64(uint64_t *v)
{
	bool ok;

	__asm__ volatile("rdrand %0" : "=r"(*v), "=@ccc"(ok));
	return ok;
}

#define MAX_WORDS 8

static int draw(uint64_t *w, unsigned n, bool seed)
{
	for (unsigned i = 0; i < n; i++) {
		unsigned tries = 0;
		while (!(seed ? rdseed64(&w[i]) : rdrand64(&w[i]))) {
			if (++tries == ENTROPY_RETRIES)
				return -EIO;
			__asm__ volatile("pause");
		}
	}
	return entropy_words_plausible(w, n) ? 0 : -EIO;
}

static int fill(void *out, unsigned long len, bool seed)
{
	uint64_t w[MAX_WORDS];
	unsigned n = (unsigned)((len + 7) / 8);

	if (n > MAX_WORDS)
		return -EINVAL;
	int err = draw(w, n, seed);
	if (!err)
		memcpy(out, w, len);
	for (volatile uint64_t *v = w; v < w + MAX_WORDS; v++)
		*v = 0;
	return err;
}

int arch_entropy(void *out, unsigned long len, const char **source)
{
	if (has_rdseed() && !fill(out, len, true)) {
		*source = "RDSEED";
		return 0;
	}
	if (!has_rdrand())
		return has_rdseed() ? -EIO : -ENODEV;
	*source = "RDRAND";
	return fill(out, len, false);
}
