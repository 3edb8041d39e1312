/*
 * Attestation on the host (hv/attest*.c, README "Attestation"): the
 * report's layout byte by byte, RTMR extension, the key from a seed, a
 * signature BearSSL's verifier accepts and refuses once one byte changes,
 * and every refused call of 52/60/61 with its exact error and nothing
 * changed.
 */
#include <bearssl_ec.h>
#include <pthread.h>
#include <stdio.h>
#include <bearssl_hash.h>
#include <string.h>
#include "hv/attest.h"
#include "hv/entropy_check.h"
#include "hv/guest_fetch.h"
#include "hv/hypercall.h"
#include "hv/vm.h"
#include "lib/sha256.h"
#include "mm/memobj.h"
#include "mm/phys.h"
#include "tests/unit/fake_virt.h"
#include "tests/unit/unit.h"

#define MB (1UL << 20)
#define DATA_GPA 0x3000UL          /* the guest's 64 bytes of report data */
#define OUT_GPA 0x5000UL           /* its report buffer, one page */
#define RTMR_SRC_GPA 0x7000UL      /* 32 bytes to extend with */
#define KEY_GPA 0x2000UL           /* the control partition's key buffer */

static struct vm *control, *guest_vm;
static struct memobj *obj;
static uint8_t data[SV_REPORT_DATA_SIZE], rtmr_src[32];
static const char text[] = "pretend .text", rodata[] = "pretend .rodata";
static const uint8_t seed[48] = "a fixed seed, as RDSEED would never give it....";
static const struct attest_image image = {
	.text = text, .text_len = sizeof(text), .rodata = rodata, .rodata_len = sizeof(rodata),
};

static void init_key(void)
{
	ck_assert_int_eq(attest_key_init(seed, sizeof(seed), &image), 0);
}

static void setup(void)
{
	const struct sv_vcpu_regs r = { .rip = 0x100000, .rsp = 0x200000, .cr3 = 0x1000 };

	unit_machine(64 * MB);
	ck_assert_int_eq(vm_create_control(4 * MB, &control), 0);
	ck_assert_int_eq(vm_create_guest(&guest_vm), 0);
	ck_assert_int_eq(memobj_create(MEMOBJ_ALLOW_SEALING, &obj), 0);
	ck_assert_int_eq(memobj_add_seals(obj, MEMOBJ_SEAL_GUEST), 0);
	ck_assert_int_eq(memobj_set_size(obj, 2 * MB), 0);
	ck_assert_int_eq(vm_set_region(guest_vm, 0, 2 * MB, obj, 0), 0);
	for (unsigned i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(0x40 + i);
	for (unsigned i = 0; i < sizeof(rtmr_src); i++)
		rtmr_src[i] = (uint8_t)(0x90 ^ i);
	ck_assert_int_eq(vm_populate(guest_vm, DATA_GPA, data, sizeof(data)), 0);
	ck_assert_int_eq(vm_populate(guest_vm, RTMR_SRC_GPA, rtmr_src, sizeof(rtmr_src)), 0);
	ck_assert_int_eq(vcpu_create(guest_vm, 0, &r), 0);
	ck_assert_int_eq(vcpu_create(guest_vm, 3, &r), 0);
	ck_assert_int_eq(vm_finalize(guest_vm), 0);
	init_key();
}

static void teardown(void)
{
	attest_key_reset();
	vm_destroy(guest_vm);
	vm_destroy(control);
	memobj_close(obj);
	arena_unmap();
}

static int64_t hc(struct vm *caller, uint64_t nr, uint64_t a, uint64_t b, uint64_t c)
{
	return unit_hc(caller, nr, a, b, c, 0, 0);
}

static void read_guest(uint64_t gpa, void *out, unsigned len)
{
	ck_assert_int_eq(guest_read_gpa(guest_vm, gpa, out, len), 0);
}

static void sha256_of(const void *a, size_t an, const void *b, size_t bn, uint8_t out[32])
{
	struct sha256 h;

	sha256_init(&h);
	sha256_update(&h, a, an);
	sha256_update(&h, b, bn);
	sha256_final(&h, out);
}

/* BearSSL's own verifier, over SHA-256 of the body, with the public key. */
static int verifies(const uint8_t *report)
{
	uint8_t pub[SV_ATTEST_PUBKEY_SIZE], hash[32];
	br_ec_public_key pk = { BR_EC_secp256r1, pub, sizeof(pub) };

	ck_assert_int_eq(attest_public_key(pub), 0);
	sha256_of(report, SV_REPORT_BODY_SIZE, "", 0, hash);
	return br_ecdsa_i31_vrfy_raw(&br_ec_p256_m31, hash, sizeof(hash), &pk,
				     report + SV_REPORT_BODY_SIZE, 64) == 1;
}

static void le32(const uint8_t *p, uint32_t want)
{
	ck_assert_uint_eq(p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24, want);
}

START_TEST(report_layout_byte_by_byte)
{
	uint8_t digest[32], b[SV_REPORT_SIZE];
	struct sv_report r;

	for (unsigned i = 0; i < 32; i++)
		guest_vm->measurement[i] = (uint8_t)(0x10 + i), digest[i] = (uint8_t)(0xd0 + i);
	for (unsigned i = 0; i < SV_NR_RTMR; i++)
		memset(guest_vm->rtmr[i], 0xa0 + i, 32);
	guest_vm->msr_policy = SV_MSR_POLICY_EXIT;
	attest_report_body(guest_vm, digest, data, &r);
	memcpy(b, &r, sizeof(b));
	ck_assert(!memcmp(b, "SVREPORT", 8));
	le32(b + 8, 1);
	le32(b + 12, 2);                          /* vCPUs 0 and 3 */
	le32(b + 16, SV_REPORT_POLICY_MSR_EXIT), le32(b + 20, 0);
	for (unsigned i = 0; i < 32; i++) {
		ck_assert_uint_eq(b[24 + i], 0x10 + i);
		ck_assert_uint_eq(b[184 + i], 0xd0 + i);
		for (unsigned k = 0; k < SV_NR_RTMR; k++)
			ck_assert_uint_eq(b[56 + 32 * k + i], 0xa0 + k);
	}
	ck_assert(!memcmp(b + 216, data, 64));
	for (unsigned i = 280; i < SV_REPORT_SIZE; i++)
		ck_assert_uint_eq(b[i], 0);       /* unsigned yet */
	guest_vm->msr_policy = SV_MSR_POLICY_GP;
	attest_report_body(guest_vm, digest, data, &r);
	ck_assert_uint_eq(r.policy, 0);
}
END_TEST

START_TEST(rtmr_extend_is_sha256_of_both)
{
	uint8_t rtmr[32] = { 0 }, zero[32] = { 0 }, want[32];
	static const uint8_t sha256_of_64_zeros[32] = {
		0xf5, 0xa5, 0xfd, 0x42, 0xd1, 0x6a, 0x20, 0x30, 0x27, 0x98, 0xef, 0x6e, 0xd3, 0x09,
		0x97, 0x9b, 0x43, 0x00, 0x3d, 0x23, 0x20, 0xd9, 0xf0, 0xe8, 0xea, 0x98, 0x31, 0xa9,
		0x27, 0x59, 0xfb, 0x4b };

	attest_rtmr_extend(rtmr, zero);
	ck_assert(!memcmp(rtmr, sha256_of_64_zeros, 32));
	sha256_of(rtmr, 32, rtmr_src, 32, want);
	attest_rtmr_extend(rtmr, rtmr_src);
	ck_assert(!memcmp(rtmr, want, 32));
}
END_TEST

START_TEST(key_from_seed)
{
	uint8_t a[SV_ATTEST_PUBKEY_SIZE], b[SV_ATTEST_PUBKEY_SIZE], d[32], want[32];
	uint8_t other[48];

	ck_assert_int_eq(attest_public_key(a), 0);
	ck_assert_uint_eq(a[0], 4);
	init_key();
	ck_assert_int_eq(attest_public_key(b), 0);
	ck_assert(!memcmp(a, b, sizeof(a)));      /* the seed decides the key */
	memcpy(other, seed, sizeof(other));
	other[47] ^= 1;
	ck_assert_int_eq(attest_key_init(other, sizeof(other), &image), 0);
	ck_assert_int_eq(attest_public_key(b), 0);
	ck_assert(memcmp(a, b, sizeof(a)));
	attest_hv_digest(d);
	sha256_of(text, sizeof(text), rodata, sizeof(rodata), want);
	ck_assert(!memcmp(d, want, 32));
	/* No seed (no RDSEED/RDRAND) or too little: no key, never a weak one. */
	ck_assert_int_eq(attest_key_init(NULL, 0, &image),
			 -ENODEV);
	ck_assert_int_eq(attest_public_key(b), -ENODEV);
	ck_assert_int_eq(attest_key_init(seed, 31, &image),
			 -ENODEV);
	ck_assert(!attest_key_ready());
}
END_TEST

/* The build digest covers the relocated data (the hypercall table's rights
 * live there) and the relocations, and does not depend on the load base:
 * each relocated slot counts as its addend, also one across the 256-byte
 * chunks the digest hashes in. */
struct test_rela {
	uint64_t offset, info;
	int64_t addend;
};

static void digest_at(uint64_t base, const struct test_rela *rel, size_t nrel, uint8_t flip_at,
		      uint8_t out[32])
{
	static uint8_t relro[300];
	struct attest_image img = image;

	memset(relro, 0x5a, sizeof(relro));
	for (size_t i = 0; i < nrel; i++)
		for (unsigned k = 0; k < 8; k++)
			relro[rel[i].offset - 0x27000 + k] = (uint8_t)((base + rel[i].addend) >> (8 * k));
	relro[flip_at] ^= 1;
	img.relro = relro, img.relro_len = sizeof(relro), img.relro_link = 0x27000, img.base = base;
	img.rela = rel, img.rela_len = nrel * sizeof(*rel);
	attest_build_digest(&img, out);
}

START_TEST(build_digest_covers_relocated_data)
{
	const struct test_rela rel[2] = { { 0x27008, 8, 0x1234 }, { 0x27000 + 252, 8, 0x2468ac } };
	struct test_rela moved[2] = { rel[0], rel[1] };
	uint8_t at0[32], loaded[32], other[32];

	digest_at(0, rel, 2, 100, at0);
	digest_at(0x7f3a1000, rel, 2, 100, loaded);
	ck_assert(!memcmp(at0, loaded, 32));                 /* wherever UEFI loaded it */
	digest_at(0x7f3a1000, rel, 2, 101, other);
	ck_assert(memcmp(at0, other, 32));                   /* a changed table byte shows */
	digest_at(0x7f3a1000, rel, 2, 255, other);
	ck_assert(memcmp(at0, other, 32));                   /* also inside the straddling slot */
	moved[0].addend = 0x1235;
	digest_at(0x7f3a1000, moved, 2, 100, other);
	ck_assert(memcmp(at0, other, 32));                   /* a changed relocation shows */
	digest_at(0x7f3a1000, rel, 1, 100, other);
	ck_assert(memcmp(at0, other, 32));                   /* a dropped relocation shows */
	sha256_of(text, sizeof(text), rodata, sizeof(rodata), other);
	ck_assert(memcmp(at0, other, 32));                   /* more than .text and .rodata */
}
END_TEST

/*
 * No private key left on the stack after signing: BearSSL's signer keeps
 * the scalar as 31-bit words (br_i31_decode_mod) in its frame and returns
 * without wiping it, so any later read of stale stack (an uninitialised
 * buffer copied out) would give the key away. The scalar is recomputed
 * here as attest_key_init makes it (HMAC-DRBG over the seed, br_ec_keygen).
 */
#define SCAN_BYTES (24 * 1024)

static void scalar_words(uint32_t w[3], uint8_t raw[16])
{
	br_hmac_drbg_context drbg;
	br_ec_private_key sk;
	uint8_t buf[BR_EC_KBUF_PRIV_MAX_SIZE];

	br_hmac_drbg_init(&drbg, &br_sha256_vtable, seed, sizeof(seed));
	ck_assert_uint_eq(br_ec_keygen(&drbg.vtable, &br_ec_p256_m31, &sk, buf, BR_EC_secp256r1), 32);
	memcpy(raw, buf, 16);
	for (unsigned i = 0; i < 3; i++) {          /* bits 31i..31i+30, from the low end */
		uint32_t v = 0;
		for (unsigned b = 0; b < 31; b++) {
			unsigned bit = 31 * i + b;
			v |= (uint32_t)(buf[31 - bit / 8] >> (bit % 8) & 1) << b;
		}
		w[i] = v;
	}
}

/* Maps the stack below the caller (pages the signer might not reach)
 * and overwrites what earlier calls left there. */
static __attribute__((noinline)) void clear_stack(void)
{
	volatile uint8_t deep[SCAN_BYTES + 4096];

	for (size_t i = 0; i < sizeof(deep); i++)
		deep[i] = 0xcc;
}

static __attribute__((noinline)) void make_key(void)
{
	init_key();
}

static __attribute__((noinline)) void sign_one(void)
{
	struct sv_report r;

	memset(&r, 0x11, sizeof(r));
	ck_assert_int_eq(attest_sign(&r), 0);
}

/* Offset below this frame where needle lies in stale stack, or -1. */
static __attribute__((noinline, no_sanitize_thread)) long stale_stack_find(const void *needle,
									    size_t n)
{
	const uint8_t *top = __builtin_frame_address(0), *lo = top - SCAN_BYTES;
	__asm__ volatile("" ::: "memory");
	const uint8_t *want = needle;

	/* No calls in the loop: their frames would land in what it reads. */
	for (const uint8_t *p = lo; p + n <= top; p++) {
		size_t i = 0;
		while (i < n && p[i] == want[i])
			i++;
		if (i == n)
			return (long)(top - p);
	}
	return -1;
}

START_TEST(no_key_left_on_the_stack_after_signing)
{
	uint32_t w[3];
	uint8_t raw[16];

	scalar_words(w, raw);
	clear_stack();
	make_key();
	long at = stale_stack_find(w, sizeof(w));
	ck_assert_int_eq(stale_stack_find(raw, sizeof(raw)), -1);
	if (at >= 0)
		fprintf(stderr, "attest: after keygen the private scalar lies %ld bytes down\n", at);
	ck_assert_int_eq(at, -1);
	clear_stack();
	sign_one();
	at = stale_stack_find(w, sizeof(w));
	ck_assert_int_eq(stale_stack_find(raw, sizeof(raw)), -1);
	if (at >= 0)
		fprintf(stderr, "attest: after signing the private scalar lies %ld bytes down\n", at);
	ck_assert_int_eq(at, -1);
}
END_TEST

/* Every signature has the low S of the pair (r, s) and (r, n - s) that
 * both verify: one report, one signature (sv-verify refuses high S). With
 * S as it falls, 32 reports would all be low one time in 2^32. */
static const uint8_t p256_half_order[32] = {
	0x7f, 0xff, 0xff, 0xff, 0x80, 0x00, 0x00, 0x00, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xde, 0x73, 0x7d, 0x56, 0xd3, 0x8b, 0xcf, 0x42, 0x79, 0xdc, 0xe5, 0x61, 0x7e, 0x31, 0x92, 0xa8,
};

START_TEST(signatures_have_low_s)
{
	struct sv_report r;

	init_key();
	for (unsigned i = 0; i < 32; i++) {
		memset(&r, 0, sizeof(r));
		r.report_data[0] = (uint8_t)i;
		ck_assert_int_eq(attest_sign(&r), 0);
		ck_assert_msg(memcmp(r.signature + 32, p256_half_order, 32) <= 0,
			      "report %u: S above n/2", i);
	}
}
END_TEST

/* A seed from a CPU whose RDRAND "succeeds" with a constant is refused:
 * all ones (AMD's post-resume bug), zeros, a repeated word. */
START_TEST(implausible_entropy_refused)
{
	uint64_t w[6] = { 0x0123456789abcdefull, 0xfedcba9876543210ull, 0x5a5a1234c3c3beefull,
			  0x1122334455667788ull, 0x8877665544332211ull, 0x0f1e2d3c4b5a6978ull };

	ck_assert(entropy_words_plausible(w, 6));
	uint64_t ones[6] = { ~0ull, ~0ull, ~0ull, ~0ull, ~0ull, ~0ull };
	ck_assert(!entropy_words_plausible(ones, 6));
	w[3] = 0;
	ck_assert(!entropy_words_plausible(w, 6));
	w[3] = w[5];
	ck_assert(!entropy_words_plausible(w, 6));
	w[3] = ~0ull;
	ck_assert(!entropy_words_plausible(w, 6));
	w[3] = 0x1122334455667788ull;
	ck_assert(entropy_words_plausible(w, 6));
}
END_TEST

START_TEST(guest_gets_a_signed_report)
{
	uint8_t b[SV_REPORT_SIZE], want_rtmr[32] = { 0 };

	ck_assert_int_eq(hc(guest_vm, SV_HC_GUEST_EXTEND, 2, RTMR_SRC_GPA, 0), 0);
	attest_rtmr_extend(want_rtmr, rtmr_src);
	ck_assert_int_eq(hc(guest_vm, SV_HC_GUEST_GET_REPORT, DATA_GPA, OUT_GPA, 4096),
			 SV_REPORT_SIZE);
	read_guest(OUT_GPA, b, sizeof(b));
	ck_assert(!memcmp(b, "SVREPORT", 8));
	ck_assert(!memcmp(b + 24, guest_vm->measurement, 32));
	ck_assert(!memcmp(b + 56 + 2 * 32, want_rtmr, 32));
	ck_assert(!memcmp(b + 216, data, 64));
	ck_assert(verifies(b));
	/* Any one byte of the body changed: the signature no longer holds. */
	for (unsigned i = 0; i < SV_REPORT_BODY_SIZE; i += 7) {
		b[i] ^= 0x01;
		ck_assert_msg(!verifies(b), "byte %u flipped, still verifies", i);
		b[i] ^= 0x01;
	}
	b[SV_REPORT_BODY_SIZE + 5] ^= 0x80;
	ck_assert(!verifies(b));
}
END_TEST

/* The guest's page at gpa (one region at 0, object offset 0), as the
 * hypervisor sees it. */
static uint8_t *guest_page(uint64_t gpa)
{
	uint64_t pa;
	unsigned order;

	ck_assert_int_eq(memobj_get_page(obj, gpa >> 12, &pa, &order), 0);
	memobj_put_page(obj, pa);
	return phys_to_virt(pa) + (gpa & 0xfff);
}

static int untouched(uint64_t gpa, unsigned len)
{
	const uint8_t *p = guest_page(gpa);

	for (unsigned i = 0; i < len; i++)
		if (p[i] != 0xee)
			return 0;
	return 1;
}

START_TEST(refused_reports_change_nothing)
{
	const uint64_t end = 2 * MB;

	memset(guest_page(OUT_GPA), 0xee, 4096);
	memset(guest_page(end - 4096), 0xee, 4096);
	ck_assert_int_eq(hc(control, SV_HC_GUEST_GET_REPORT, DATA_GPA, OUT_GPA, 4096), -EPERM);
	ck_assert_int_eq(hc(control, SV_HC_GUEST_GET_REPORT, guest_vm->id, OUT_GPA, 4096), -EPERM);
	ck_assert_int_eq(hc(guest_vm, SV_HC_GUEST_GET_REPORT, DATA_GPA, OUT_GPA, SV_REPORT_SIZE - 1),
			 -ENOSPC);
	ck_assert_int_eq(hc(guest_vm, SV_HC_GUEST_GET_REPORT, DATA_GPA, OUT_GPA, 0), -ENOSPC);
	ck_assert_int_eq(hc(guest_vm, SV_HC_GUEST_GET_REPORT, end - 63, OUT_GPA, 4096), -EFAULT);
	ck_assert_int_eq(hc(guest_vm, SV_HC_GUEST_GET_REPORT, 1UL << 40, OUT_GPA, 4096), -EFAULT);
	ck_assert_int_eq(hc(guest_vm, SV_HC_GUEST_GET_REPORT, -32UL, OUT_GPA, 4096), -EFAULT);
	ck_assert_int_eq(hc(guest_vm, SV_HC_GUEST_GET_REPORT, DATA_GPA, end - 100, 4096), -EFAULT);
	ck_assert_int_eq(hc(guest_vm, SV_HC_GUEST_GET_REPORT, DATA_GPA, -64UL, 4096), -EFAULT);
	ck_assert(untouched(OUT_GPA, 4096));
	ck_assert(untouched(end - 4096, 4096));
	attest_key_reset();
	ck_assert_int_eq(hc(guest_vm, SV_HC_GUEST_GET_REPORT, DATA_GPA, OUT_GPA, 4096), -ENODEV);
	ck_assert(untouched(OUT_GPA, 4096));
	init_key();
	/* A report across a page boundary, at the very end of memory. */
	ck_assert_int_eq(hc(guest_vm, SV_HC_GUEST_GET_REPORT, DATA_GPA, end - SV_REPORT_SIZE,
			    SV_REPORT_SIZE), SV_REPORT_SIZE);
	ck_assert(untouched(end - 4096, 4096 - SV_REPORT_SIZE));
}
END_TEST

START_TEST(refused_extends_change_nothing)
{
	uint8_t zero[SV_NR_RTMR][32] = { { 0 } };

	ck_assert_int_eq(hc(control, SV_HC_GUEST_EXTEND, 0, RTMR_SRC_GPA, 0), -EPERM);
	ck_assert_int_eq(hc(guest_vm, SV_HC_GUEST_EXTEND, SV_NR_RTMR, RTMR_SRC_GPA, 0), -EINVAL);
	ck_assert_int_eq(hc(guest_vm, SV_HC_GUEST_EXTEND, 1UL << 32, RTMR_SRC_GPA, 0), -EINVAL);
	ck_assert_int_eq(hc(guest_vm, SV_HC_GUEST_EXTEND, 0, 2 * MB - 31, 0), -EFAULT);
	ck_assert_int_eq(hc(guest_vm, SV_HC_GUEST_EXTEND, 0, -16UL, 0), -EFAULT);
	ck_assert(!memcmp(guest_vm->rtmr, zero, sizeof(zero)));
	ck_assert(!memcmp(control->rtmr, zero, sizeof(zero)));
	ck_assert_int_eq(hc(guest_vm, SV_HC_GUEST_EXTEND, SV_NR_RTMR - 1, RTMR_SRC_GPA, 0), 0);
	ck_assert(memcmp(guest_vm->rtmr[SV_NR_RTMR - 1], zero[0], 32));
}
END_TEST

START_TEST(public_key_for_the_control_partition_only)
{
	uint8_t want[SV_ATTEST_PUBKEY_SIZE];
	uint8_t *buf = vm_guest_ptr(control, KEY_GPA, 4096);

	memset(buf, 0xee, 4096);
	ck_assert_int_eq(hc(guest_vm, SV_HC_ATTEST_PUBLIC_KEY, OUT_GPA, 0, 0), -EPERM);
	ck_assert_int_eq(hc(control, SV_HC_ATTEST_PUBLIC_KEY, 4 * MB - 64, 0, 0), -EFAULT);
	ck_assert_int_eq(hc(control, SV_HC_ATTEST_PUBLIC_KEY, -8UL, 0, 0), -EFAULT);
	attest_key_reset();
	ck_assert_int_eq(hc(control, SV_HC_ATTEST_PUBLIC_KEY, KEY_GPA, 0, 0), -ENODEV);
	ck_assert_uint_eq(buf[0], 0xee);
	init_key();
	ck_assert_int_eq(hc(control, SV_HC_ATTEST_PUBLIC_KEY, KEY_GPA, 0, 0), 0);
	ck_assert_int_eq(attest_public_key(want), 0);
	ck_assert(!memcmp(buf, want, sizeof(want)));
	ck_assert_uint_eq(buf[SV_ATTEST_PUBKEY_SIZE], 0xee);
}
END_TEST

/* CPU 1: the guest (its vCPU 0 "running") extends RTMR 1 and gets a
 * report, again and again; each signature is made without hv_lock. */
#define RACE_ROUNDS 40
static int race_done;

static void *guest_cpu(void *arg)
{
	(void)arg;
	fake_set_cpu(1);
	for (unsigned i = 0; i < RACE_ROUNDS; i++) {
		ck_assert_int_eq(hc(guest_vm, SV_HC_GUEST_EXTEND, 1, RTMR_SRC_GPA, 0), 0);
		ck_assert_int_eq(hc(guest_vm, SV_HC_GUEST_GET_REPORT, DATA_GPA, OUT_GPA, 4096),
				 SV_REPORT_SIZE);
	}
	__atomic_store_n(&race_done, 1, __ATOMIC_RELEASE);
	return NULL;
}

/* CPU 0, the VMM, meanwhile: its hypercalls go on while reports are
 * signed, it cannot destroy the VM under the call, and every report and
 * extension lands whole. */
START_TEST(reports_signed_while_the_vmm_makes_hypercalls)
{
	uint8_t b[SV_REPORT_SIZE], want[32] = { 0 };
	pthread_t t;
	unsigned vmm_calls = 0;

	guest_vm->vcpus[0].running = true;
	race_done = 0;
	ck_assert_int_eq(pthread_create(&t, NULL, guest_cpu, NULL), 0);
	do {
		ck_assert_int_eq(hc(control, SV_HC_STATS, KEY_GPA, guest_vm->id, 0), 0);
		ck_assert_int_eq(hc(control, SV_HC_VM_DESTROY, guest_vm->id, 0, 0), -EBUSY);
		ck_assert_int_eq(hc(control, SV_HC_GUEST_EXTEND, 1, KEY_GPA, 0), -EPERM);
		vmm_calls++;
	} while (!__atomic_load_n(&race_done, __ATOMIC_ACQUIRE));
	pthread_join(t, NULL);
	guest_vm->vcpus[0].running = false;
	ck_assert_uint_gt(vmm_calls, 0);
	printf("attest race: %u VMM rounds while %u reports were signed\n", vmm_calls, RACE_ROUNDS);
	for (unsigned i = 0; i < RACE_ROUNDS; i++)
		attest_rtmr_extend(want, rtmr_src);
	ck_assert(!memcmp(guest_vm->rtmr[1], want, 32));
	read_guest(OUT_GPA, b, sizeof(b));
	ck_assert(!memcmp(b + 56 + 32, want, 32));   /* the last report: every extension */
	ck_assert(verifies(b));
}
END_TEST

Suite *attest_suite(void)
{
	Suite *s = suite_create("attest");
	TCase *tc = tcase_create("attest");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, report_layout_byte_by_byte);
	tcase_add_test(tc, rtmr_extend_is_sha256_of_both);
	tcase_add_test(tc, key_from_seed);
	tcase_add_test(tc, build_digest_covers_relocated_data);
	tcase_add_test(tc, no_key_left_on_the_stack_after_signing);
	tcase_add_test(tc, signatures_have_low_s);
	tcase_add_test(tc, implausible_entropy_refused);
	tcase_add_test(tc, guest_gets_a_signed_report);
	tcase_add_test(tc, refused_reports_change_nothing);
	tcase_add_test(tc, refused_extends_change_nothing);
	tcase_add_test(tc, public_key_for_the_control_partition_only);
	tcase_add_test(tc, reports_signed_while_the_vmm_makes_hypercalls);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);
	return s;
}
