/*
 * The attestation key (hv/attest.h). BearSSL does the cryptography, built
 * freestanding from Debian's source (Makefile, tests/bearssl.sh): the
 * boot seed goes through HMAC-DRBG (SHA-256) into br_ec_keygen, which draws
 * a scalar uniformly below the P-256 group order, and reports are signed
 * with br_ecdsa_i31_sign_raw, whose nonce is deterministic (RFC 6979): no
 * random number is needed after boot, so none can be weak.
 *
 * Invariant (docs/ARCHITECTURE.md 31): the private scalar lives only in
 * this file's static memory; nothing copies it anywhere else, no call
 * returns it, the seed and the DRBG state are wiped once the key exists,
 * and the stack BearSSL used is wiped after keygen and every signature.
 */
#include <bearssl_ec.h>
#include <bearssl_hash.h>
#include <bearssl_rand.h>
#include <sealvisor/errno.h>
#include "hv/attest.h"
#include "lib/sha256.h"
#include "lib/string.h"

static struct {
	int ready;
	br_ec_private_key sk;
	uint8_t sk_buf[BR_EC_KBUF_PRIV_MAX_SIZE];
	uint8_t pub[SV_ATTEST_PUBKEY_SIZE];
	uint8_t hv_digest[32];
} key;

/* A plain memset of state about to die may be optimised away. */
static void wipe(void *p, size_t n)
{
	volatile uint8_t *v = p;

	while (n--)
		*v++ = 0;
}

/*
 * BearSSL returns without wiping its frames: the signer's hold the scalar
 * as 31-bit words (br_i31_decode_mod) and the RFC 6979 nonce, from which
 * the scalar follows. This overwrites the stack below the caller, where
 * they lay: the deepest chain (sign_raw 1168 bytes, mulgen 768, p256_add
 * 368, field multiplication 344: gcc -fstack-usage) stays under 4 KiB,
 * and a CPU's stack (32 KiB) has room for 8 KiB more at a hypercall.
 */
#define STACK_WIPE_BYTES 8192

static __attribute__((noinline)) void wipe_stack_below(void)
{
	volatile uint8_t area[STACK_WIPE_BYTES];

	for (size_t i = 0; i < sizeof(area); i++)
		area[i] = 0;
	__asm__ volatile("" : : "r"(area) : "memory");
}

int attest_key_init(const void *seed, size_t seed_len, const struct attest_image *img)
{
	br_hmac_drbg_context drbg;
	br_ec_public_key pk;
	uint8_t pub_buf[BR_EC_KBUF_PUB_MAX_SIZE];

	attest_key_reset();
	attest_build_digest(img, key.hv_digest);
	if (!seed || seed_len < 32)
		return -ENODEV;
	br_hmac_drbg_init(&drbg, &br_sha256_vtable, seed, seed_len);
	size_t n = br_ec_keygen(&drbg.vtable, &br_ec_p256_m31, &key.sk, key.sk_buf,
				BR_EC_secp256r1);
	wipe(&drbg, sizeof(drbg));
	if (n != 32)
		return -EINVAL;
	if (br_ec_compute_pub(&br_ec_p256_m31, &pk, pub_buf, &key.sk) != SV_ATTEST_PUBKEY_SIZE) {
		attest_key_reset();
		return -EINVAL;
	}
	memcpy(key.pub, pk.q, SV_ATTEST_PUBKEY_SIZE);
	wipe_stack_below();
	key.ready = 1;
	return 0;
}

int attest_key_ready(void)
{
	return key.ready;
}

void attest_key_reset(void)
{
	wipe(key.sk_buf, sizeof(key.sk_buf));
	memset(&key.sk, 0, sizeof(key.sk));
	memset(key.pub, 0, sizeof(key.pub));
	key.ready = 0;
}

int attest_public_key(uint8_t out[SV_ATTEST_PUBKEY_SIZE])
{
	if (!key.ready)
		return -ENODEV;
	memcpy(out, key.pub, SV_ATTEST_PUBKEY_SIZE);
	return 0;
}

void attest_hv_digest(uint8_t out[32])
{
	memcpy(out, key.hv_digest, 32);
}

/* P-256's group order n, big-endian. */
static const uint8_t p256_order[32] = {
	0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17, 0x9e, 0x84, 0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63, 0x25, 0x51,
};

/* (r, s) and (r, n - s) both verify; the report carries the lower S so
 * that it has exactly one signature (sv-verify refuses the other). s is
 * public, in [1, n - 1]: no constant time needed. */
static void low_s(uint8_t s[32])
{
	uint8_t neg[32];
	int borrow = 0;

	for (int i = 31; i >= 0; i--) {
		int d = p256_order[i] - s[i] - borrow;
		borrow = d < 0;
		neg[i] = (uint8_t)d;
	}
	if (memcmp(s, neg, 32) > 0)
		memcpy(s, neg, 32);
}

int attest_sign(struct sv_report *r)
{
	struct sha256 h;
	uint8_t hash[32];

	if (!key.ready)
		return -ENODEV;
	sha256_init(&h);
	sha256_update(&h, r, SV_REPORT_BODY_SIZE);
	sha256_final(&h, hash);
	size_t n = br_ecdsa_i31_sign_raw(&br_ec_p256_m31, &br_sha256_vtable, hash, &key.sk,
					 r->signature);
	wipe_stack_below();
	if (n != sizeof(r->signature))
		return -EIO;    /* BearSSL refuses only a malformed key: not ours */
	low_s(r->signature + 32);
	return 0;
}
