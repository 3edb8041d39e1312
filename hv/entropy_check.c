/* hv/entropy_check.h */
#include "hv/entropy_check.h"

bool entropy_words_plausible(const uint64_t *w, unsigned n)
{
	(void)w, (void)n;
	return true;    /* what arch_entropy did so far: any word CF=1 gave */
}
