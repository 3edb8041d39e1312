/*
 * The demo VMM's side of a guest's private and shared memory (README
 * "Private and shared memory"): it converts what the guest asks for
 * (SV_EXIT_MAP_GPA), binds one shared object over the guest's region the
 * first time a shared page has no backing (SV_EXIT_MEMORY_FAULT), and
 * shows what a VMM can and cannot see: it prints the shared buffer a guest
 * hands back, and checks that the guest's private memory stays closed to
 * it (tests/guests/memattr.c); and it serves a console ring on shared
 * memory (layout.h's struct ring_console).
 */
#include "guest/vmm/vmm.h"

#define SHOW_MAX 64

/* What a VMM may try against private memory: each must be refused. */
static void try_private(struct guest *g, uint64_t gpa)
{
	char buf[16];
	int64_t rd = sv_call4(SV_HC_MEMOBJ_READ, g->obj, gpa, (uint64_t)buf, sizeof(buf));
	int64_t wr = sv_call4(SV_HC_MEMOBJ_WRITE, g->obj, gpa, (uint64_t)buf, sizeof(buf));
	/* Above its RAM, below SV_MAP_GPA_LIMIT: where a mapping could go. */
	int64_t map = sv_call5(SV_HC_MEMOBJ_MAP, g->obj, gpa, SV_MAP_GPA_LIMIT - 4096, 4096, 0);
	int64_t bind = sv_call4(SV_HC_VM_SET_SHARED_MEMORY, g->vm, GUEST_REGION_GPA, g->obj, 0);

	sv_printf("[vmm] %s: its private memory at 0x%lx: read %s, write %s, map %s, bind as "
		  "shared %s\n", g->name, gpa, sv_strerror(rd), sv_strerror(wr), sv_strerror(map),
		  sv_strerror(bind));
	if (rd != -EPERM || wr != -EPERM || map != -EPERM || bind != -EPERM)
		guest_fail(g, "the VMM could reach private memory", 0);
}

/* The guest hands a shared buffer back: read it (allowed) before the
 * conversion destroys the shared view's meaning for the guest. */
static void show_shared(struct guest *g, uint64_t gpa, uint64_t len)
{
	char buf[SHOW_MAX + 1];
	uint64_t n = len < SHOW_MAX ? len : SHOW_MAX;

	if (g->shared_obj < 0)
		return;
	int64_t r = sv_call4(SV_HC_MEMOBJ_READ, g->shared_obj, GUEST_REGION_OFFSET + gpa,
			     (uint64_t)buf, n);
	if (r < 0)
		return guest_fail(g, "reading the shared buffer failed", r);
	buf[r] = 0;
	for (int64_t i = 0; i < r && buf[i]; i++)
		if (buf[i] < 0x20 || buf[i] > 0x7e)
			buf[i] = '.';
	sv_printf("[vmm] %s: shared buffer at 0x%lx reads \"%s\"\n", g->name, gpa, buf);
}

/*
 * The shared-memory console's doorbell: the ring at gpa (page) is read and
 * consumed through the VMM's own view of the shared object. Whatever the
 * guest put there is untrusted input: head is clamped to one ring ahead.
 */
void service_ring_doorbell(struct guest *g, uint64_t page)
{
	static struct ring_console ring;
	uint64_t off = GUEST_REGION_OFFSET + (page << 12);
	char line[RING_BYTES + 1];
	unsigned n = 0;

	if (g->shared_obj < 0)
		return guest_fail(g, "ring doorbell without shared memory", 0);
	int64_t r = sv_call4(SV_HC_MEMOBJ_READ, g->shared_obj, off, (uint64_t)&ring, sizeof(ring));
	if (r != sizeof(ring))
		return guest_fail(g, "reading the console ring failed", r);
	uint32_t avail = ring.head - ring.tail;
	if (avail > RING_BYTES)
		avail = RING_BYTES;
	for (uint32_t i = 0; i < avail; i++) {
		char c = ring.data[(ring.tail + i) % RING_BYTES];
		if (c == '\n' || n == RING_BYTES) {
			line[n] = 0;
			sv_printf("[vmm] %s: console ring: %s\n", g->name, line);
			n = 0;
		} else {
			line[n++] = c >= 0x20 && c <= 0x7e ? c : '.';
		}
	}
	if (n) {
		line[n] = 0;
		sv_printf("[vmm] %s: console ring: %s\n", g->name, line);
	}
	ring.tail += avail;
	r = sv_call4(SV_HC_MEMOBJ_WRITE, g->shared_obj, off + 4, (uint64_t)&ring.tail, 4);
	if (r != 4)
		guest_fail(g, "updating the console ring failed", r);
}

void service_map_gpa(struct guest *g, struct sv_run *run)
{
	uint64_t gpa = run->memory.gpa, len = run->memory.size;
	uint32_t shared = run->memory.attributes;

	sv_printf("[vmm] %s: guest asks to make [0x%lx, +0x%lx) %s\n", g->name, gpa, len,
		  shared ? "shared" : "private");
	if (!shared) {
		show_shared(g, gpa, len);
		try_private(g, gpa);
	}
	run->memory.ret = sv_call4(SV_HC_VM_SET_MEMORY_ATTRIBUTES, g->vm, gpa, len, shared);
}

/* The first shared page without backing: one object over the whole
 * region (sparse: only what the guest shares gets pages). */
void service_memory_fault(struct guest *g, struct sv_run *run)
{
	int64_t r;

	if (run->memory.attributes != SV_MEMATTR_SHARED || g->shared_obj >= 0)
		return guest_fail(g, "memory fault the VMM cannot serve", 0);
	if ((g->shared_obj = sv_call1(SV_HC_MEMOBJ_CREATE, 0)) < 0)
		return guest_fail(g, "MEMOBJ_CREATE for shared memory failed", g->shared_obj);
	if ((r = sv_call2(SV_HC_MEMOBJ_SET_SIZE, g->shared_obj, GUEST_MEM)) ||
	    (r = sv_call4(SV_HC_VM_SET_SHARED_MEMORY, g->vm, GUEST_REGION_GPA, g->shared_obj,
			  GUEST_REGION_OFFSET)))
		return guest_fail(g, "binding shared memory failed", r);
	sv_printf("[vmm] %s: memory fault at 0x%lx (shared): bound shared memory\n", g->name,
		  run->memory.gpa);
}
