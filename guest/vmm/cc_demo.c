/*
 * The VMM's side of the confidential-computing demonstration
 * (guest/vmm/cc_ring.h, tests/guests/cc-demo.c): it serves the guest's
 * I/O ring on the bounce buffer the guest shared, hands it the verifier's
 * nonce from a module (data from an untrusted channel, so the guest's
 * launch measurement is the same in every run), and, once the guest took
 * the buffer back, shows that it can no longer reach what the guest keeps
 * there.
 */
#include "guest/vmm/cc_ring.h"
#include "guest/vmm/vmm.h"

static const char *base_name(const char *path)
{
	const char *base = path;

	for (const char *p = path; *p; p++)
		if (*p == '/')
			base = p + 1;
	return base;
}

/* The config's `module = .../nonce.bin`, or NULL. */
static const struct sv_module *nonce_module(void)
{
	for (unsigned i = 0; i < bp->nr_modules; i++)
		if (bp->module_kind[i] == SV_MODULE_DATA &&
		    !strcmp(base_name(bp->modules[i].name), CC_NONCE_MODULE))
			return &bp->modules[i];
	return NULL;
}

/* The nonce into the shared data page at off: its size, or -errno with the
 * guest failed and the reason said (a run without a usable nonce cannot
 * attest anything). */
static int64_t give_nonce(struct guest *g, uint64_t off, uint32_t room)
{
	const struct sv_module *m = nonce_module();

	if (!m) {
		sv_printf("[vmm] %s: no nonce module: the config needs 'module = %s' (the "
			  "verifier's %u bytes)\n", g->name, CC_NONCE_MODULE, CC_NONCE_SIZE);
		guest_fail(g, "no nonce module '" CC_NONCE_MODULE "'", 0);
		return -ENOENT;
	}
	if (m->size != CC_NONCE_SIZE) {
		sv_printf("[vmm] %s: nonce module '%s' is %lu bytes, expected %u\n", g->name,
			  m->name, m->size, CC_NONCE_SIZE);
		guest_fail(g, "bad nonce module '" CC_NONCE_MODULE "'", 0);
		return -EINVAL;
	}
	if (room < CC_NONCE_SIZE)
		return -ENOSPC;
	int64_t r = sv_call4(SV_HC_MEMOBJ_WRITE, g->shared_obj, off, m->gpa, CC_NONCE_SIZE);
	if (r == CC_NONCE_SIZE)
		sv_printf("[vmm] %s: ring: gave the guest the %u-byte nonce from '%s'\n", g->name,
			  CC_NONCE_SIZE, m->name);
	return r;
}

static int64_t print_line(struct guest *g, uint64_t off, uint32_t len)
{
	char line[CC_DATA_SIZE + 1];
	int64_t r = sv_call4(SV_HC_MEMOBJ_READ, g->shared_obj, off, (uint64_t)line, len);

	if (r < 0)
		return r;
	line[r] = 0;
	for (int64_t i = 0; i < r; i++)
		if (line[i] < 0x20 || line[i] > 0x7e)
			line[i] = '.';
	sv_printf("[vmm] %s: ring console: %s\n", g->name, line);
	return r;
}

/* One descriptor, all of it the guest's input: bounded to the data page.
 * A copy: what is checked is what is used. */
static int32_t serve(struct guest *g, uint64_t data_off, struct cc_desc d)
{
	if (d.offset > CC_DATA_SIZE || d.len > CC_DATA_SIZE - d.offset)
		return -EINVAL;
	uint64_t off = data_off + d.offset;
	switch (d.type) {
	case CC_REQ_CONSOLE:
		return (int32_t)print_line(g, off, d.len);
	case CC_REQ_NONCE:
		return (int32_t)give_nonce(g, off, d.len);
	default:
		return -EINVAL;
	}
}

/* The ring is read once into this call's own copy (on its stack, not a
 * static: a guest's vCPUs ring from several control vCPUs at once, and
 * one's read must not rewrite a descriptor another is checking). */
void cc_demo_doorbell(struct guest *g, uint64_t page)
{
	struct cc_ring ring;
	uint64_t off = GUEST_REGION_OFFSET + (page << 12);
	int64_t r;

	if (g->shared_obj < 0)
		return guest_fail(g, "cc-demo doorbell without shared memory", 0);
	r = sv_call4(SV_HC_MEMOBJ_READ, g->shared_obj, off, (uint64_t)&ring, sizeof(ring));
	if (r != sizeof(ring))
		return guest_fail(g, "reading the cc-demo ring failed", r);
	uint32_t avail = ring.head - ring.tail;
	if (avail > CC_RING_DESCS)
		avail = CC_RING_DESCS;
	for (uint32_t i = 0; i < avail && !g->failed; i++) {
		uint32_t slot = (ring.tail + i) % CC_RING_DESCS;
		int32_t status = serve(g, off + CC_DATA_OFFSET, ring.desc[slot]);
		uint64_t at = off + __builtin_offsetof(struct cc_ring, desc[0].status) +
			      slot * sizeof(struct cc_desc);
		if ((r = sv_call4(SV_HC_MEMOBJ_WRITE, g->shared_obj, at, (uint64_t)&status, 4)) != 4)
			return guest_fail(g, "writing a cc-demo descriptor's status failed", r);
	}
	/* The statuses are written before tail moves: the guest reads them
	 * only for descriptors below tail. */
	ring.tail += avail;
	r = sv_call4(SV_HC_MEMOBJ_WRITE, g->shared_obj, off + __builtin_offsetof(struct cc_ring, tail),
		     (uint64_t)&ring.tail, 4);
	if (r != 4)
		guest_fail(g, "moving the cc-demo ring's tail failed", r);
}

static bool holds(const char *buf, uint64_t len, const char *what)
{
	uint64_t n = strlen(what);

	for (uint64_t i = 0; i + n <= len; i++)
		if (!memcmp(buf + i, what, n))
			return true;
	return false;
}

/* The buffer at page is private again and holds CC_SECRET: the VMM tries
 * what a hostile VMM would. */
void cc_demo_probe(struct guest *g, uint64_t page)
{
	static char view[CC_BUFFER_SIZE];
	uint64_t gpa = page << 12;
	char buf[64];
	int64_t rd = sv_call4(SV_HC_MEMOBJ_READ, g->obj, GUEST_REGION_OFFSET + gpa, (uint64_t)buf,
			      sizeof(buf));
	int64_t wr = sv_call4(SV_HC_MEMOBJ_WRITE, g->obj, GUEST_REGION_OFFSET + gpa, (uint64_t)buf,
			      sizeof(buf));
	int64_t sh = g->shared_obj < 0 ? -EBADF :
		sv_call4(SV_HC_MEMOBJ_READ, g->shared_obj, GUEST_REGION_OFFSET + gpa,
			 (uint64_t)view, sizeof(view));
	bool leaked = sh > 0 && holds(view, (uint64_t)sh, CC_SECRET);

	sv_printf("[vmm] %s: the buffer at 0x%lx is private again: read %s, write %s; the old "
		  "shared page (read %s) %s the guest's secret\n", g->name, gpa, sv_strerror(rd),
		  sv_strerror(wr), sh < 0 ? sv_strerror(sh) : "ok", leaked ? "HOLDS" : "does not hold");
	if (rd != -EPERM || wr != -EPERM || leaked)
		guest_fail(g, "the VMM could reach the guest's private buffer", 0);
}
