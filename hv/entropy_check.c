/* hv/entropy_check.h */
#include "hv/entropy_check.h"

bool entropy_words_plausible(const uint64_t *w, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		if (w[i] == 0 || w[i] == ~0ull)
			return false;
		for (unsigned j = 0; j < i; j++)
			if (w[i] == w[j])
				return false;
	}
	return true;
}
