/*
 * Attestation (README "Attestation", docs/ARCHITECTURE.md invariant 31):
 * a guest's signed report of what it is, under a key the hypervisor made
 * at boot and never lets out.
 *
 *   hv/attest_key.c     the key (BearSSL: HMAC-DRBG, P-256, ECDSA)
 *   hv/attest_digest.c  the hypervisor's build digest: pure, host-tested
 *   hv/attest_report.c  the report's body and RTMR extension: pure, host-tested
 *   hv/attest.c         the hypercalls: argument checks and guest memory
 */
#ifndef HV_ATTEST_H
#define HV_ATTEST_H

#include <stddef.h>
#include <stdint.h>
#include <sealvisor/hypercall.h>

struct vm;

/* ---- hv/attest_digest.c ---- */
/* The loaded image's parts the build digest covers (linker.ld). */
struct attest_image {
	const void *text, *rodata;
	size_t text_len, rodata_len;
	const uint8_t *relro;     /* .data.rel.ro and the GOT, as crt0 relocated them */
	size_t relro_len;
	uint64_t relro_link;      /* relro's link address (offset from the image's base) */
	uint64_t base;            /* the load base crt0 added to each relocated slot */
	const void *rela;         /* the Elf64_Rela entries crt0 applied */
	size_t rela_len;
};
/* SHA-256(text || rodata || relro with each relocated slot back to its
 * addend || rela): the same wherever the image was loaded, and what
 * sv-verify computes from build/sealvisor.so. */
void attest_build_digest(const struct attest_image *img, uint8_t out[32]);

/* ---- hv/attest_key.c ---- */
/* At boot, once: the build digest of img, and the key from seed (at least
 * 32 bytes of RDSEED/RDRAND output; NULL: none, attestation stays off).
 * 0, or -ENODEV (no seed), -EINVAL (the seed gave no key: never with 32
 * real random bytes). */
int attest_key_init(const void *seed, size_t seed_len, const struct attest_image *img);
/* Whether attest_key_init made a key. */
int attest_key_ready(void);
/* The public key, SV_ATTEST_PUBKEY_SIZE bytes: 0 or -ENODEV. */
int attest_public_key(uint8_t out[SV_ATTEST_PUBKEY_SIZE]);
/* The build digest attest_key_init computed. */
void attest_hv_digest(uint8_t out[32]);
/* Signs r's body into r->signature: 0 or -ENODEV (no key). */
int attest_sign(struct sv_report *r);
/* Host tests: forget the key (as a CPU without RDSEED/RDRAND would). */
void attest_key_reset(void);

/* ---- hv/attest_report.c ---- */
/* rtmr = SHA-256(rtmr || data). */
void attest_rtmr_extend(uint8_t rtmr[32], const uint8_t data[32]);
/* The report body of vm (bytes 0..SV_REPORT_BODY_SIZE-1); signature zero. */
void attest_report_body(const struct vm *vm, const uint8_t hv_digest[32],
			const uint8_t data[SV_REPORT_DATA_SIZE], struct sv_report *out);

/* ---- hv/attest.c: the hypercalls ---- */
int64_t attest_hc_public_key(struct vm *caller, uint64_t out_gpa);
/* SV_HC_GUEST_GET_REPORT in three steps, so that the signature (about a
 * millisecond of CPU, far more under an emulator) is made without
 * hv_lock: prepare (hv_lock held: every check, the body), attest_sign (no
 * lock: the key is fixed after boot, and the caller's VM cannot be
 * destroyed while its vCPU is in this call), deliver (hv_lock held). */
int64_t attest_report_prepare(struct vm *caller, uint64_t data_gpa, uint64_t out_gpa,
			      uint64_t len, struct sv_report *report);
int64_t attest_report_deliver(struct vm *caller, uint64_t out_gpa, const struct sv_report *report);
int64_t attest_hc_extend(struct vm *caller, uint64_t index, uint64_t data_gpa);
/* At boot: seeds the key from the CPU (arch_entropy) and logs the public
 * key in one line ("attest: public key 04...") or why there is none. */
void attest_boot(void);

#endif
