/* A fake owner for memory-object tests: records every callback. */
#ifndef TESTS_OWNER_LOG_H
#define TESTS_OWNER_LOG_H

#include <stdint.h>
#include "mm/memobj.h"

enum { CB_INVALIDATE = 1, CB_FALLOCATE = 2 };

struct cb_record {
	int type;
	uint64_t start, end;
	uint64_t free_pages_at_call;   /* page allocator free count during the call */
};

struct owner_log {
	struct cb_record rec[64];
	int n;
};

extern const struct memobj_owner_ops owner_log_ops;

#endif
