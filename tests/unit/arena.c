#include <stdlib.h>
#include <sys/mman.h>
#include "mm/heap.h"
#include "mm/pmm.h"
#include "tests/unit/unit.h"

static void *arena, *meta;
static size_t arena_bytes;

void arena_map(uint64_t base, size_t bytes)
{
	arena = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	ck_assert_ptr_ne(arena, MAP_FAILED);
	arena_bytes = bytes;
	phys_virt_offset = (uintptr_t)arena - base;
}

void arena_pmm(uint64_t base, size_t bytes)
{
	arena_map(base, bytes);
	meta = calloc(1, pmm_meta_bytes(base, base + bytes));
	ck_assert_int_eq(pmm_init(base, base + bytes, meta), 0);
	/* Page `base` stays reserved, like page 0 on the real machine. */
	ck_assert_int_eq(pmm_add_range(base + PAGE_SIZE, bytes - PAGE_SIZE), 0);
	heap_init();
}

void arena_unmap(void)
{
	munmap(arena, arena_bytes);
	free(meta);
	meta = NULL;
}
