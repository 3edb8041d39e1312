/*
 * The confidential-computing demonstration's I/O ring (issue 13 item 7):
 * tests/guests/cc-demo.c and its VMM, guest/vmm/cc_demo.c. Virtio-style,
 * on a bounce buffer of CC_BUFFER_SIZE bytes the guest shared (MAP_GPA):
 * page 0 holds struct cc_ring, page 1 the requests' data. The guest fills
 * descriptors, moves head and writes the buffer's gpa >> 12 to
 * CC_DOORBELL_PORT; the VMM serves every descriptor between tail and
 * head from its own view of the shared memory, writes each one's status
 * and moves tail up to head.
 *
 * Neither side trusts what the other wrote there: the VMM bounds every
 * descriptor to the data page and at most CC_RING_DESCS a doorbell; the
 * guest copies what it needs (the nonce) into private memory once and
 * checks the status before it uses it.
 */
#ifndef GUEST_VMM_CC_RING_H
#define GUEST_VMM_CC_RING_H

#include <stdint.h>

#define CC_DOORBELL_PORT 0x511
/* After converting the buffer back to private, the guest writes CC_SECRET
 * at its data page and the buffer's gpa >> 12 here: the VMM tries to read
 * and write the private page (each must be refused, EPERM) and searches
 * its own view of the old shared page for the secret (it must not be
 * there). */
#define CC_PROBE_PORT 0x512
#define CC_SECRET "cc-demo: a secret kept in private memory"

#define CC_BUFFER_SIZE (2 * 4096UL)
#define CC_DATA_OFFSET 4096U          /* the data page, from the buffer's start */
#define CC_DATA_SIZE 4096U
#define CC_RING_DESCS 32U

/* The verifier's nonce: SV_REPORT_DATA_SIZE bytes from the module whose
 * file name is CC_NONCE_MODULE (config line `module = nonce.bin`). */
#define CC_NONCE_MODULE "nonce.bin"
#define CC_NONCE_SIZE 64U

enum cc_request {
	CC_REQ_CONSOLE = 1,     /* print len bytes at offset as one line */
	CC_REQ_NONCE = 2,       /* write the nonce at offset (len: the room) */
};

struct cc_desc {
	uint32_t type;          /* the guest's: enum cc_request */
	uint32_t offset;        /* the guest's: into the data page */
	uint32_t len;           /* the guest's: bytes (console) or room (nonce) */
	int32_t status;         /* the VMM's: bytes consumed or written, or -errno */
};

struct cc_ring {
	uint32_t head;          /* the guest's: descriptors posted, ever */
	uint32_t tail;          /* the VMM's: descriptors served, ever */
	struct cc_desc desc[CC_RING_DESCS];   /* descriptor i at desc[i % CC_RING_DESCS] */
};

#endif
