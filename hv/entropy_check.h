/* A sanity check on the CPU's random words before they seed the
 * attestation key (arch/x86/entropy.c): host-tested. */
#ifndef HV_ENTROPY_CHECK_H
#define HV_ENTROPY_CHECK_H

#include <stdbool.h>
#include <stdint.h>

/* Whether n words from RDSEED/RDRAND look like random output: none 0 or
 * all ones, no two alike. A broken RDRAND that reports success with a
 * constant (AMD family 17h parts after resume returned all ones with CF
 * set) would otherwise seed a key anyone can recompute. Fails for real
 * random words with probability below n^2 / 2^64. */
bool entropy_words_plausible(const uint64_t *w, unsigned n);

#endif
