#include <sealvisor/errno.h>
#include "hv/log.h"
#include "hv/selftest.h"
#include "mm/heap.h"
#include "mm/pmm.h"

#define CHECK(cond, ...)                                   \
	do {                                               \
		checks++;                                  \
		if (!(cond)) {                             \
			failures++;                        \
			log_err("selftest: " __VA_ARGS__); \
		}                                          \
	} while (0)

int selftest_allocator(void)
{
	int checks = 0, failures = 0;
	uint64_t before = pmm_free_pages(), blocks[PMM_NR_ORDERS] = { 0 };
	const char *why;

	for (unsigned o = 0; o <= ORDER_2M + 1; o++) {
		blocks[o] = pmm_alloc(o, OWNER_HV, 0);
		CHECK(blocks[o] != 0, "order-%u allocation failed\n", o);
		CHECK(!(blocks[o] & ((PAGE_SIZE << o) - 1)),
		      "order-%u block 0x%lx is not aligned to its size\n", o, blocks[o]);
	}
	for (unsigned o = 0; o <= ORDER_2M + 1; o++)
		CHECK(blocks[o] == 0 || pmm_free(blocks[o], o) == 0, "free of order %u failed\n", o);
	/* (A double free panics: mm/pmm.h. A free of a block's tail is input
	 * the allocator refuses.) */
	uint64_t tail = pmm_alloc(1, OWNER_HV, 0);
	CHECK(tail == 0 || pmm_free(tail + PAGE_SIZE, 0) == -EINVAL, "free of a tail page not refused\n");
	CHECK(tail == 0 || pmm_free(tail, 1) == 0, "free of order 1 failed\n");
	CHECK(pmm_free_pages() == before, "free pages %lu after alloc/free, expected %lu\n",
	      pmm_free_pages(), before);
	void *small = kmalloc(48), *large = kmalloc(3 * PAGE_SIZE);
	CHECK(small && large, "heap allocation failed\n");
	CHECK(kfree(small) == 0 && kfree(large) == 0, "heap free failed\n");
	CHECK(pmm_check(&why) == 0, "page allocator metadata inconsistent: %s\n", why);
	if (!failures)
		log_info("selftest: allocator ok (%d checks, %lu pages free)\n", checks,
			 pmm_free_pages());
	return failures;
}
