/*
 * A fixed-window rate limit for log lines: at most `burst` lines per
 * `window` (any unit: the caller's clock), then a count of the lines held
 * back, given once when the next window opens. Pure and lock-free by being
 * per caller: the hypervisor keeps one per CPU.
 */
#ifndef LIB_RATELIMIT_H
#define LIB_RATELIMIT_H

#include <stdbool.h>
#include <stdint.h>

struct ratelimit {
	uint64_t window_start;
	unsigned printed;        /* in this window */
	uint64_t suppressed;     /* held back since the last report */
};

/*
 * May a line be printed at time `now`? When a new window opens after lines
 * were held back, *report is set to how many (else 0): the caller prints
 * that count before the line.
 */
bool ratelimit_allow(struct ratelimit *rl, uint64_t now, uint64_t window, unsigned burst,
		     uint64_t *report);

#endif
