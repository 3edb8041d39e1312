/*
 * cc-demo: the confidential-computing demonstration (issue 13 item 7),
 * end to end, in the order a TDX or SEV-SNP guest does it:
 *  1. It shares a bounce buffer with its VMM (MAP_GPA) and sets up an I/O
 *     ring on it (guest/vmm/cc_ring.h: descriptors, head and tail).
 *  2. It asks for the verifier's 64-byte nonce over the ring: the VMM
 *     reads it from a module (`module = nonce.bin`). The nonce is data
 *     from an untrusted channel, not part of this image, so the launch
 *     measurement is the same in every run; it is copied into private
 *     memory once, and only a full 64-byte answer is used.
 *  3. Real I/O through the ring: console lines the VMM prints, the VMM
 *     moving the tail; a descriptor past the data page gets EINVAL, and
 *     so do wrapping ones, unknown types and a runaway head's garbage
 *     (one ring's worth a doorbell); a nonce without the room ENOSPC.
 *  4. It converts the buffer back to private (it reads zeros), keeps a
 *     secret there and tells the VMM where: the VMM tries to read and
 *     write it (EPERM, said in the log; the VMM fails the run otherwise)
 *     and does not find it in its old shared page.
 *  5. It gets a report with the nonce as report data and prints it in
 *     hex ("attest: report OFFSET HEX", as tests/guests/attest.c) for
 *     tests/tools/sv-verify.
 */
#include "guest/lib/attest.h"
#include "guest/lib/kernel.h"
#include "guest/lib/memattr.h"
#include "guest/vmm/cc_ring.h"
#include "guest/vmm/layout.h"

#define BUF (40UL << 20)

static volatile struct cc_ring *const ring = (volatile struct cc_ring *)BUF;
static volatile char *const data = (volatile char *)(BUF + CC_DATA_OFFSET);
static uint8_t nonce[SV_REPORT_DATA_SIZE];
static struct sv_report report __attribute__((aligned(64)));
static void outl(uint16_t port, uint32_t v)
{
	__asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port) : "memory");
}

/* Posts a descriptor; returns its slot. */
static unsigned post(uint32_t type, uint32_t offset, uint32_t len)
{
	unsigned slot = ring->head % CC_RING_DESCS;

	ring->desc[slot].type = type;
	ring->desc[slot].offset = offset;
	ring->desc[slot].len = len;
	ring->desc[slot].status = -1;
	ring->head++;
	return slot;
}

static void doorbell(const char *what)
{
	outl(CC_DOORBELL_PORT, (uint32_t)(BUF >> 12));
	kexpect(what, ring->tail, ring->head);
}

/* A console line at offset in the data page; returns its slot. */
static unsigned put_line(uint32_t offset, const char *s)
{
	uint32_t n = strlen(s);

	for (uint32_t i = 0; i < n; i++)
		data[offset + i] = s[i];
	return post(CC_REQ_CONSOLE, offset, n);
}

static void receive_nonce(void)
{
	unsigned slot = post(CC_REQ_NONCE, 0, CC_NONCE_SIZE);

	doorbell("the VMM served the nonce request (tail == head)");
	/* Read status once, then the bytes once: what the VMM writes later
	 * cannot change what is used. */
	int32_t status = ring->desc[slot].status;
	kexpect("nonce request status (bytes written)", status, CC_NONCE_SIZE);
	for (unsigned i = 0; i < CC_NONCE_SIZE; i++)
		nonce[i] = data[i];
	if (status != CC_NONCE_SIZE) {
		kprintf("cc-demo: no nonce from the VMM (%s): stopping\n", sv_strerror(status));
		kexit(1);
	}
}

static void console_io(void)
{
	static const char *const l1 = "cc-demo: hello through the shared ring";
	static const char *const l2 = "cc-demo: the nonce came over this ring, from the untrusted VMM";
	char line[96];
	unsigned s[4];

	s[0] = put_line(64, l1);
	s[1] = put_line(128, l2);
	sv_snprintf(line, sizeof(line), "cc-demo: nonce begins %02x%02x%02x%02x%02x%02x%02x%02x",
		    nonce[0], nonce[1], nonce[2], nonce[3], nonce[4], nonce[5], nonce[6], nonce[7]);
	s[2] = put_line(256, line);
	/* Hostile to the VMM: a descriptor running past the data page. */
	s[3] = post(CC_REQ_CONSOLE, CC_DATA_SIZE - 8, 64);
	doorbell("the VMM consumed every descriptor (tail == head)");
	kexpect("line 1 status (bytes consumed)", ring->desc[s[0]].status, (int64_t)strlen(l1));
	kexpect("line 2 status", ring->desc[s[1]].status, (int64_t)strlen(l2));
	kexpect("line 3 status", ring->desc[s[2]].status, (int64_t)strlen(line));
	kexpect("descriptor past the data page", ring->desc[s[3]].status, -EINVAL);
}

/* Hostile to the VMM (guest/vmm/cc_demo.c must bound all it reads):
 * offsets and lengths past the data page or wrapping, a type it does not
 * know, a nonce request without the room, then a head that ran 1000 ahead
 * over slots of garbage: it serves one ring's worth a doorbell, refusing
 * each, and stays up. */
static void hostile_ring(void)
{
	unsigned s[4], bad = 0;

	s[0] = post(CC_REQ_CONSOLE, 0xffffffffu, 16);
	s[1] = post(CC_REQ_CONSOLE, 16, 0xfffffff8u);
	s[2] = post(99, 0, 16);
	s[3] = post(CC_REQ_NONCE, 0, CC_NONCE_SIZE - 1);
	doorbell("the VMM consumed the hostile descriptors (tail == head)");
	kexpect("offset past the data page", ring->desc[s[0]].status, -EINVAL);
	kexpect("offset + length wrapping", ring->desc[s[1]].status, -EINVAL);
	kexpect("unknown request type", ring->desc[s[2]].status, -EINVAL);
	kexpect("nonce request without the room", ring->desc[s[3]].status, -ENOSPC);
	for (unsigned i = 0; i < CC_RING_DESCS; i++) {
		ring->desc[i].type = 0xdead;
		ring->desc[i].offset = 0xffffffffu - i;
		ring->desc[i].status = 1;
	}
	uint32_t tail = ring->tail;
	ring->head = tail + 1000;
	outl(CC_DOORBELL_PORT, (uint32_t)(BUF >> 12));
	kexpect("a runaway head: one ring's worth served a doorbell", ring->tail - tail, CC_RING_DESCS);
	for (unsigned i = 0; i < CC_RING_DESCS; i++)
		bad += ring->desc[i].status != -EINVAL;
	kexpect("garbage slots not refused", bad, 0);
	ring->head = ring->tail;
}

static void take_back(void)
{
	unsigned nonzero = 0;
	const char *secret = CC_SECRET;

	kexpect("unshare the buffer", sv_unshare(BUF, CC_BUFFER_SIZE), 0);
	for (unsigned i = 0; i < CC_BUFFER_SIZE; i++)
		nonzero += ((volatile char *)BUF)[i] != 0;
	kexpect("non-zero bytes in it once private again", nonzero, 0);
	for (unsigned i = 0; secret[i]; i++)
		data[i] = secret[i];
	/* The VMM fails this run if it can read or write it. */
	outl(CC_PROBE_PORT, (uint32_t)(BUF >> 12));
	kexpect("the secret is still ours", !memcmp((const void *)data, secret, strlen(secret)), 1);
}

static void print_report(void)
{
	const uint8_t *b = (const uint8_t *)&report;
	char line[2 * 64 + 1];

	for (unsigned off = 0; off < SV_REPORT_SIZE; off += 64) {
		unsigned n = SV_REPORT_SIZE - off < 64 ? SV_REPORT_SIZE - off : 64;
		for (unsigned i = 0; i < n; i++)
			sv_snprintf(&line[2 * i], 3, "%02x", b[off + i]);
		kprintf("attest: report %u %s\n", off, line);
	}
}

static void attest(void)
{
	int64_t r = sv_get_report(nonce, &report, sizeof(report));

	kexpect("GET_REPORT over the nonce", r, SV_REPORT_SIZE);
	kexpect("report data is the nonce", !memcmp(report.report_data, nonce, sizeof(nonce)), 1);
	if (r == SV_REPORT_SIZE)
		print_report();
}

__attribute__((section(".text.start"))) void _start(void)
{
	int64_t before = vmm_call(SV_GUEST_STATS, 0, 0);

	kexpect("share the bounce buffer", sv_share(BUF, CC_BUFFER_SIZE), 0);
	kexpect("a fresh shared ring starts empty", ring->head | ring->tail, 0);
	receive_nonce();
	console_io();
	hostile_ring();
	take_back();
	attest();
	kprintf("cc-demo: object pages %ld at start, %ld now\n", before,
		vmm_call(SV_GUEST_STATS, 0, 0));
	kprintf("cc-demo: %u checks, %u failed\n", kchecks, kfailures);
	kexit(kfailures ? 1 : 0);
}
