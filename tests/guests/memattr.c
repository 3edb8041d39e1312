/*
 * memattr: private and shared memory from the guest's side (issue 13).
 *  1. It shares a bounce buffer (MAP_GPA; the VMM binds shared memory on
 *     the memory-fault exit), writes a message there and hands it back:
 *     the VMM prints what it read (allowed) and fails to read, write, map
 *     or bind the private memory (refused). Back private, it reads zeros.
 *     Then real I/O through shared memory: lines written into a console
 *     ring on a shared page (layout.h), the VMM prints them and moves the
 *     ring's tail, the page goes back to private.
 *  2. The VMM punches an accepted page: the next read raises #VE with
 *     exactly that gpa; the handler accepts a fresh zero page and the read
 *     goes on. A 2 MiB range punched is accepted in one 2 MiB unit.
 *  3. It names memory that is not its own, and accepts twice: refused,
 *     with the exact errors.
 */
#include "guest/lib/kernel.h"
#include "guest/lib/memattr.h"
#include "guest/lib/trap.h"
#include "guest/vmm/layout.h"

#define MB (1UL << 20)
#define BUF (40 * MB)
#define PAGE (44 * MB + 5 * 4096)
#define BIG (48 * MB)
#define RING (41 * MB)
#define MESSAGE "bounce buffer from the confidential guest"

static unsigned failures, ves;
static uint64_t last_ve;

static void expect(const char *what, int64_t got, int64_t want)
{
	kprintf("memattr: %s -> %ld (%s)\n", what, got, got == want ? "as expected" : "WRONG");
	failures += got != want;
}

/* The #VE hook: note the gpa, accept a fresh page, let the access retry. */
static void on_ve(uint64_t gpa)
{
	ves++;
	last_ve = gpa;
	int64_t r = sv_accept(gpa & ~4095UL, 4096);
	if (r) {
		kprintf("memattr: #VE at 0x%lx, accept -> %ld: stopping\n", gpa, r);
		kexit(1);
	}
}

static void bounce(void)
{
	volatile char *buf = (volatile char *)BUF;
	const char *msg = MESSAGE;
	unsigned nonzero = 0;

	expect("share the bounce buffer", sv_share(BUF, 2 * 4096), 0);
	for (unsigned i = 0; i <= sizeof(MESSAGE) - 1; i++)
		buf[i] = msg[i];
	expect("unshare it (the VMM reads it first)", sv_unshare(BUF, 2 * 4096), 0);
	for (unsigned i = 0; i < 2 * 4096; i++)
		nonzero += buf[i] != 0;
	expect("non-zero bytes in it once private again", nonzero, 0);
	expect("#VEs so far", ves, 0);
}

static void ring_put(volatile struct ring_console *ring, const char *s)
{
	for (; *s; s++)
		ring->data[ring->head++ % RING_BYTES] = *s;
	ring->data[ring->head++ % RING_BYTES] = '\n';
}

static void ring_console(void)
{
	volatile struct ring_console *ring = (volatile struct ring_console *)RING;

	expect("share the console ring", sv_share(RING, 4096), 0);
	expect("a fresh shared page starts empty", ring->head | ring->tail, 0);
	ring_put(ring, "hello through shared memory");
	ring_put(ring, "second line, the VMM moves the tail");
	__asm__ volatile("outl %0, %1" : : "a"((uint32_t)(RING >> 12)), "Nd"(RING_DOORBELL_PORT)
			 : "memory");
	expect("ring bytes the VMM consumed", ring->tail, ring->head);
	expect("unshare the ring", sv_unshare(RING, 4096), 0);
	expect("the ring page once private again", ring->head | ring->tail, 0);
}

static void punched_page(void)
{
	volatile uint64_t *p = (volatile uint64_t *)PAGE;

	*p = 0x5ec1e7;
	expect("VMM punches an accepted page", vmm_call(SV_GUEST_PUNCH, PAGE, 4096), 0);
	uint64_t v = p[3];       /* #VE here, then a zero page */
	expect("value read after the #VE", (int64_t)v, 0);
	expect("#VEs", ves, 1);
	expect("#VE gpa is the access's", (int64_t)last_ve, (int64_t)(PAGE + 3 * 8));
	expect("VE_INFO once read", sv_ve_info(), -ENOENT);
	expect("accept it again", sv_accept(PAGE, 4096), -EEXIST);
}

static void punched_2m(void)
{
	volatile uint64_t *big = (volatile uint64_t *)BIG;

	for (uint64_t off = 0; off < 2 * MB / 8; off += 512)
		big[off] = off | 1;
	expect("VMM punches 2 MiB", vmm_call(SV_GUEST_PUNCH, BIG, 2 * MB), 0);
	expect("accept 2 MiB at once", sv_accept(BIG, 2 * MB), 0);
	uint64_t sum = 0;
	for (uint64_t off = 0; off < 2 * MB / 8; off += 512)
		sum |= big[off];
	expect("its words after the accept", (int64_t)sum, 0);
	expect("#VEs (none for accepted pages)", ves, 1);
}

static void not_mine(void)
{
	expect("share past its memory", sv_share(GUEST_MEM, 4096), -EINVAL);
	expect("share across its end", sv_share(GUEST_MEM - 4096, 8192), -EINVAL);
	expect("share the MMIO hole", sv_share(TEST_MMIO_GPA, 4096), -EINVAL);
	expect("share an unaligned range", sv_share(BUF + 1, 4096), -EINVAL);
	expect("convert to attribute 2", sv_call3(SV_HC_GUEST_MAP_GPA, BUF, 4096, 2), -EINVAL);
	expect("accept 8 KiB", sv_accept(BUF, 8192), -EINVAL);
	expect("accept past its memory", sv_accept(GUEST_MEM, 4096), -EINVAL);
	expect("accept an accepted page", sv_accept(BUF, 4096), -EEXIST);
	expect("VMM-only call SET_MEMORY_ATTRIBUTES",
	       sv_call4(SV_HC_VM_SET_MEMORY_ATTRIBUTES, 1, BUF, 4096, 1), -EPERM);
}

__attribute__((section(".text.start"))) void _start(void)
{
	int64_t before = vmm_call(SV_GUEST_STATS, 0, 0);

	trap_init();
	sv_ve_init(on_ve);
	bounce();
	ring_console();
	punched_page();
	punched_2m();
	not_mine();
	kprintf("memattr: object pages %ld at start, %ld now\n", before,
		vmm_call(SV_GUEST_STATS, 0, 0));
	kprintf("memattr: %u failures\n", failures);
	kprintf(failures ? "FAIL\n" : "PASS\n");
	kexit(failures ? 1 : 0);
}
