/* A fake virtualization backend for host tests: it records what generic
 * code asks of it (flushes, entries) and plays back scripted exits. */
#ifndef TESTS_FAKE_VIRT_H
#define TESTS_FAKE_VIRT_H

#include "hv/virt.h"

enum { EV_KICK = 1, EV_ENTRY_FLUSH, EV_ENTRY, EV_INJECT_GP };

struct fake_event {
	int type;
	unsigned vm;           /* or the CPU, for EV_KICK */
	uint64_t free_pages;   /* page allocator free count at the time */
};

/* Threads stand in for CPUs: each says which one it is. */
void fake_set_cpu(unsigned id);
extern volatile int fake_kicked[64];

extern struct fake_event fake_events[256];
extern int fake_nevents;
extern struct vm_exit fake_exits[16];   /* what the next runs return, in order */
extern int fake_nexits, fake_next_exit;

void fake_reset(void);
int fake_count(int type);

#endif
