#include "lib/ratelimit.h"

bool ratelimit_allow(struct ratelimit *rl, uint64_t now, uint64_t window, unsigned burst,
		     uint64_t *report)
{
	*report = 0;
	if (now - rl->window_start >= window) {
		rl->window_start = now;
		rl->printed = 0;
		*report = rl->suppressed;
		rl->suppressed = 0;
	}
	if (rl->printed < burst) {
		rl->printed++;
		return true;
	}
	rl->suppressed++;
	return false;
}
