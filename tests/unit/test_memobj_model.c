/*
 * Model-based test: long random sequences of memory-object operations run
 * against the real code and against a plain reference model (bytes, page
 * presence, seals, size, mappings, owner), comparing return values,
 * contents, sizes, seals, owner callbacks (ranges and order) and page
 * accounting after every step. Seeded and reproducible: a failure prints
 * the seed and step; MEMOBJ_SEED=<seed> reruns just that sequence.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sealvisor/errno.h>
#include "mm/memobj.h"
#include "mm/pmm.h"
#include "tests/unit/owner_log.h"
#include "tests/unit/unit.h"

#define SPAN (10UL << 20)             /* offsets used by the test */
#define MODEL_BYTES (16UL << 20)      /* writes may reach past SPAN */
#define MODEL_PAGES (MODEL_BYTES / PAGE_SIZE)
#define IDX_END (1UL << 27)
#define STEPS 500
#define SEQUENCES 40

struct model {
	uint8_t bytes[MODEL_BYTES];
	uint8_t present[MODEL_PAGES];
	uint64_t size;
	unsigned seals, maps, wmaps;
	struct owner_log *owner;
	struct cb_record expect[64];
	int nexpect;
};

static struct model *m;
static struct memobj *obj;
static struct owner_log logs[2];
static unsigned seed;
static int step;
static uint8_t scratch[MODEL_BYTES];

#define CHECK(cond, ...)                                                        \
	ck_assert_msg(cond, "seed %u step %d: %s", seed, step,                   \
		      (snprintf((char *)scratch, 256, __VA_ARGS__), (char *)scratch))

static uint64_t rnd(uint64_t n)
{
	return n ? ((uint64_t)rand() * RAND_MAX + rand()) % n : 0;
}

static void expect_cb(int type, uint64_t s, uint64_t e)
{
	if (m->owner)
		m->expect[m->nexpect++] = (struct cb_record){ type, s, e, 0 };
}

static void drop_pages(uint64_t first, uint64_t last)
{
	for (uint64_t p = first; p < last && p < MODEL_PAGES; p++) {
		m->present[p] = 0;
		memset(m->bytes + p * PAGE_SIZE, 0, PAGE_SIZE);
	}
}

static void zero_bytes(uint64_t off, uint64_t len)
{
	if (m->present[off / PAGE_SIZE])
		memset(m->bytes + off, 0, len);
}

static uint64_t present_pages(void)
{
	uint64_t n = 0;
	for (uint64_t p = 0; p < MODEL_PAGES; p++)
		n += m->present[p];
	return n;
}

/* ---- the model: the seed's rules, written out plainly ---- */

static int model_set_size(uint64_t size)
{
	if ((size < m->size && (m->seals & MEMOBJ_SEAL_SHRINK)) ||
	    (size > m->size && (m->seals & MEMOBJ_SEAL_GROW)))
		return -EPERM;
	if ((m->seals & MEMOBJ_SEAL_GUEST) && (size % PAGE_SIZE))
		return -EINVAL;
	if (size < m->size) {
		if (size % PAGE_SIZE)
			zero_bytes(size, PAGE_SIZE - size % PAGE_SIZE);
		uint64_t first = (size + PAGE_SIZE - 1) / PAGE_SIZE;
		expect_cb(CB_INVALIDATE, first, IDX_END);
		drop_pages(first, MODEL_PAGES);
	}
	m->size = size;
	return 0;
}

static int model_add_seals(unsigned s)
{
	if (s & ~MEMOBJ_ALL_SEALS)
		return -EINVAL;
	if (m->seals & MEMOBJ_SEAL_SEAL)
		return -EPERM;
	if ((s & MEMOBJ_SEAL_WRITE) && !(m->seals & MEMOBJ_SEAL_WRITE) && m->wmaps)
		return -EBUSY;
	if ((s & MEMOBJ_SEAL_GUEST) && (m->maps || m->size))
		return -EBUSY;
	m->seals |= s;
	return 0;
}

static int64_t model_write(uint64_t off, const uint8_t *src, uint64_t len)
{
	if (m->seals & (MEMOBJ_SEAL_WRITE | MEMOBJ_SEAL_FUTURE_WRITE))
		return -EPERM;
	if ((m->seals & MEMOBJ_SEAL_GROW) && off + len > m->size)
		return -EPERM;
	if (m->seals & MEMOBJ_SEAL_GUEST)
		return -EPERM;
	memcpy(m->bytes + off, src, len);
	for (uint64_t p = off / PAGE_SIZE; len && p <= (off + len - 1) / PAGE_SIZE; p++)
		m->present[p] = 1;
	if (len && off + len > m->size)
		m->size = off + len;
	return len;
}

static int64_t model_read(uint64_t off, uint64_t len, uint8_t *dst)
{
	if (m->seals & MEMOBJ_SEAL_GUEST)
		return -EPERM;
	if (off >= m->size)
		return 0;
	if (len > m->size - off)
		len = m->size - off;
	memcpy(dst, m->bytes + off, len);
	return len;
}

static int model_fallocate(unsigned mode, uint64_t off, uint64_t len)
{
	if (len == 0)
		return -EINVAL;
	if (mode & ~3u)
		return -EOPNOTSUPP;
	if ((mode & MEMOBJ_FALLOC_PUNCH_HOLE) && !(mode & MEMOBJ_FALLOC_KEEP_SIZE))
		return -EOPNOTSUPP;
	int guest_unaligned = (m->seals & MEMOBJ_SEAL_GUEST) && ((off | len) % PAGE_SIZE);
	if (mode & MEMOBJ_FALLOC_PUNCH_HOLE) {
		if (m->seals & (MEMOBJ_SEAL_WRITE | MEMOBJ_SEAL_FUTURE_WRITE))
			return -EPERM;
		if (guest_unaligned)
			return -EINVAL;
		uint64_t first = (off + PAGE_SIZE - 1) / PAGE_SIZE, last = (off + len) / PAGE_SIZE;
		if (first > last) {
			zero_bytes(off, len);
			return 0;
		}
		if (off % PAGE_SIZE)
			zero_bytes(off, PAGE_SIZE - off % PAGE_SIZE);
		if ((off + len) % PAGE_SIZE)
			zero_bytes(last * PAGE_SIZE, (off + len) % PAGE_SIZE);
		if (first < last) {
			expect_cb(CB_INVALIDATE, first, last);
			drop_pages(first, last);
		}
		return 0;
	}
	if ((m->seals & MEMOBJ_SEAL_GROW) && off + len > m->size)
		return -EPERM;
	if (guest_unaligned)
		return -EINVAL;
	uint64_t start = off / PAGE_SIZE, end = (off + len + PAGE_SIZE - 1) / PAGE_SIZE;
	for (uint64_t p = start; p < end; p++)
		m->present[p] = 1;
	if (!(mode & MEMOBJ_FALLOC_KEEP_SIZE) && off + len > m->size)
		m->size = off + len;
	expect_cb(CB_FALLOCATE, start, end);
	return 0;
}

static int model_map(int w)
{
	if (m->seals & MEMOBJ_SEAL_GUEST)
		return -EPERM;
	if (w && (m->seals & (MEMOBJ_SEAL_WRITE | MEMOBJ_SEAL_FUTURE_WRITE)))
		return -EPERM;
	m->maps++;
	m->wmaps += w;
	return 0;
}

static int model_unmap(int w)
{
	if (!m->maps || (w && !m->wmaps))
		return -EINVAL;
	m->maps--;
	m->wmaps -= w;
	return 0;
}

/* ---- comparing the two ---- */

static void check_callbacks(void)
{
	struct owner_log *l = m->owner;
	if (!l)
		return;
	CHECK(l->n == m->nexpect, "%d owner callbacks, model expects %d", l->n, m->nexpect);
	for (int i = 0; i < l->n; i++) {
		CHECK(l->rec[i].type == m->expect[i].type && l->rec[i].start == m->expect[i].start &&
		      l->rec[i].end == m->expect[i].end,
		      "callback %d: type %d [%lu, %lu), model type %d [%lu, %lu)", i,
		      l->rec[i].type, l->rec[i].start, l->rec[i].end, m->expect[i].type,
		      m->expect[i].start, m->expect[i].end);
	}
	l->n = m->nexpect = 0;
}

static void check_state(void)
{
	struct pmm_stats st;

	check_callbacks();
	CHECK(memobj_get_size(obj) == m->size, "size %lu, model %lu", memobj_get_size(obj), m->size);
	CHECK(memobj_get_seals(obj) == m->seals, "seals %#x, model %#x", memobj_get_seals(obj), m->seals);
	uint64_t want = present_pages();
	CHECK(memobj_nr_pages(obj) == want, "%lu pages, model %lu", memobj_nr_pages(obj), want);
	pmm_get_stats(&st);
	CHECK(st.by_owner[OWNER_MEMOBJ] == want, "allocator counts %lu object pages, model %lu",
	      st.by_owner[OWNER_MEMOBJ], want);
}

/* Every present page's bytes, read through the fault path (no allocation). */
static void check_contents(void)
{
	for (uint64_t p = 0; p < MODEL_PAGES; p++) {
		if (!m->present[p] || p * PAGE_SIZE >= m->size)
			continue;
		uint64_t pa;
		unsigned order;
		CHECK(memobj_get_page(obj, p, &pa, &order) == 0, "get_page %lu failed", p);
		int same = memcmp(phys_to_virt(pa), m->bytes + p * PAGE_SIZE, PAGE_SIZE) == 0;
		memobj_put_page(obj, pa);
		CHECK(same, "page %lu differs from the model", p);
		CHECK(order == 0 || (order == 9 && ((pa - (p % 512) * PAGE_SIZE) & 0x1fffff) == 0),
		      "page %lu: order %u at 0x%lx", p, order, pa);
	}
}

/* ---- one random step ---- */

static uint64_t rnd_off(void)
{
	switch (rnd(4)) {
	case 0: return rnd(SPAN / (2UL << 20)) * (2UL << 20);
	case 1: return rnd(SPAN / PAGE_SIZE) * PAGE_SIZE;
	default: return rnd(SPAN);
	}
}

static uint64_t rnd_len(void)
{
	switch (rnd(5)) {
	case 0: return (1 + rnd(2)) * (2UL << 20);
	case 1: return (1 + rnd(64)) * PAGE_SIZE;
	case 2: return rnd(3);
	default: return 1 + rnd(3 * PAGE_SIZE);
	}
}

static const unsigned seal_choices[] = {
	MEMOBJ_SEAL_GUEST, MEMOBJ_SEAL_GUEST, MEMOBJ_SEAL_GUEST, MEMOBJ_SEAL_WRITE,
	MEMOBJ_SEAL_FUTURE_WRITE, MEMOBJ_SEAL_GROW, MEMOBJ_SEAL_SHRINK, MEMOBJ_SEAL_SEAL, 0x40,
};

static void do_step(void)
{
	uint64_t off = rnd_off(), len = rnd_len();
	int64_t got, want;

	if (off + len > SPAN)
		len = SPAN - off;
	switch (rnd(13)) {
	case 0: {
		uint64_t size = rnd(3) ? rnd(SPAN / PAGE_SIZE) * PAGE_SIZE : rnd(SPAN);
		want = model_set_size(size);
		got = memobj_set_size(obj, size);
		CHECK(got == want, "set_size(%lu) = %ld, model %ld", size, got, want);
		break;
	}
	case 1: {
		unsigned s = seal_choices[rnd(9)];
		want = model_add_seals(s);
		got = memobj_add_seals(obj, s);
		CHECK(got == want, "add_seals(%#x) = %ld, model %ld", s, got, want);
		break;
	}
	case 2:
	case 3: {
		for (uint64_t i = 0; i < len; i++)
			scratch[i] = (uint8_t)rand();
		want = model_write(off, scratch, len);
		got = memobj_write(obj, off, scratch, len);
		CHECK(got == want, "write(%lu, %lu) = %ld, model %ld", off, len, got, want);
		break;
	}
	case 4: {
		static uint8_t a[SPAN], b[SPAN];
		want = model_read(off, len, a);
		got = memobj_read(obj, off, b, len);
		CHECK(got == want, "read(%lu, %lu) = %ld, model %ld", off, len, got, want);
		CHECK(got <= 0 || memcmp(a, b, got) == 0, "read(%lu, %lu) returned other bytes", off, len);
		break;
	}
	case 5:
	case 6: {
		unsigned mode = rnd(10) ? rnd(2) : rnd(8);
		want = model_fallocate(mode, off, len);
		got = memobj_fallocate(obj, mode, off, len);
		CHECK(got == want, "fallocate(%u, %lu, %lu) = %ld, model %ld", mode, off, len, got, want);
		break;
	}
	case 7:
	case 8: {
		unsigned mode = rnd(10) ? 3 : 2;
		want = model_fallocate(mode, off, len);
		got = memobj_fallocate(obj, mode, off, len);
		CHECK(got == want, "punch(%u, %lu, %lu) = %ld, model %ld", mode, off, len, got, want);
		break;
	}
	case 9: {
		int w = rnd(2), unmap = rnd(2);
		want = unmap ? model_unmap(w) : model_map(w);
		got = unmap ? memobj_unmap(obj, w) : memobj_map(obj, w);
		CHECK(got == want, "%s(%d) = %ld, model %ld", unmap ? "unmap" : "map", w, got, want);
		break;
	}
	case 10: {
		uint64_t p = rnd(SPAN / PAGE_SIZE), pa;
		unsigned order;
		want = p < (m->size + PAGE_SIZE - 1) / PAGE_SIZE ? 0 : -EINVAL;
		got = memobj_get_page(obj, p, &pa, &order);
		CHECK(got == want, "get_page(%lu) = %ld, model %ld", p, got, want);
		if (got == 0) {
			m->present[p] = 1;
			CHECK(memcmp(phys_to_virt(pa), m->bytes + p * PAGE_SIZE, PAGE_SIZE) == 0,
			      "get_page(%lu) content differs", p);
			memobj_put_page(obj, pa);
		}
		break;
	}
	case 11: {
		struct owner_log *l = &logs[rnd(2)];
		want = (m->owner && m->owner != l) ? -EPERM : 0;
		got = memobj_register_owner(obj, l, &owner_log_ops);
		CHECK(got == want, "register_owner = %ld, model %ld", got, want);
		if (!got) {
			m->owner = l;
			l->n = m->nexpect = 0;
		}
		break;
	}
	case 12:
		check_contents();
		break;
	}
	check_state();
}

static void run_sequence(unsigned s)
{
	uint64_t free_before = pmm_free_pages();

	seed = s;
	srand(s);
	memset(m, 0, sizeof(*m));
	memset(logs, 0, sizeof(logs));
	unsigned flags = rnd(8) ? MEMOBJ_ALLOW_SEALING : 0;
	ck_assert_int_eq(memobj_create(flags, &obj), 0);
	m->seals = flags ? 0 : MEMOBJ_SEAL_SEAL;
	for (step = 0; step < STEPS; step++)
		do_step();
	check_contents();
	expect_cb(CB_INVALIDATE, 0, IDX_END);
	struct owner_log *l = m->owner;
	memobj_close(obj);
	if (l)
		check_callbacks();
	CHECK(pmm_free_pages() == free_before, "close left %ld pages behind",
	      (long)(free_before - pmm_free_pages()));
	const char *why;
	CHECK(pmm_check_free_zero(&why) == 0, "after close: %s", why);
}

START_TEST(random_sequences_match_the_model)
{
	const char *env = getenv("MEMOBJ_SEED");

	arena_pmm(0, 96UL << 20);
	m = calloc(1, sizeof(*m));
	if (env) {
		run_sequence((unsigned)strtoul(env, NULL, 0));
	} else {
		for (unsigned s = 1; s <= SEQUENCES; s++)
			run_sequence(s * 2654435761u);
	}
	free(m);
	arena_unmap();
}
END_TEST

Suite *memobj_model_suite(void)
{
	Suite *s = suite_create("memobj model");
	TCase *tc = tcase_create("random");

	tcase_set_timeout(tc, 300);
	/* One thread, and most of the ThreadSanitizer run's time: that run
	 * (make tsan-test) leaves out this tag. */
	tcase_set_tags(tc, "single-threaded-slow");
	tcase_add_test(tc, random_sequences_match_the_model);
	suite_add_tcase(s, tc);
	return s;
}
