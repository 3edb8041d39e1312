#include "mm/pmm.h"
#include "tests/unit/owner_log.h"

static void record(void *owner, int type, uint64_t start, uint64_t end)
{
	struct owner_log *log = owner;

	if (log->n < 64)
		log->rec[log->n] = (struct cb_record){ type, start, end, pmm_free_pages() };
	log->n++;
}

static void on_invalidate(struct memobj *obj, void *owner, uint64_t s, uint64_t e)
{
	(void)obj;
	record(owner, CB_INVALIDATE, s, e);
}

static void on_fallocate(struct memobj *obj, void *owner, uint64_t s, uint64_t e)
{
	(void)obj;
	record(owner, CB_FALLOCATE, s, e);
}

const struct memobj_owner_ops owner_log_ops = { on_invalidate, on_fallocate, NULL };
