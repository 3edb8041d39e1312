/* The attestation key at boot (hv/attest.h attest_boot): the image's
 * own bytes for the build digest, the CPU's entropy for the key. Not in
 * host builds: it reads the linker's section symbols. */
#include <sealvisor/errno.h>
#include "hv/arch.h"
#include "hv/attest.h"
#include "hv/log.h"
#include "lib/errno_name.h"

/* linker.ld: .text and .rodata, each page-aligned; neither has a
 * relocation (position-independent code; tables of pointers go to
 * .data.rel.ro, inside .data), so their loaded bytes are the bytes of
 * build/sealvisor.so's sections. The relocated data [_relro, _erelro)
 * (.data.rel.ro and the GOT: written by crt0 only) and crt0's relocations
 * [_rela, _erela) are hashed too (hv/attest_digest.c), so the verifier
 * recomputes the digest from the build (tests/tools/sv-verify). */
extern const char ImageBase[], _text[], _etext[], _rodata[], _erodata[];
extern const uint8_t _relro[], _erelro[];
extern const char _rela[], _erela[];

static void hex(char *out, const uint8_t *b, unsigned n)
{
	static const char digits[] = "0123456789abcdef";

	for (unsigned i = 0; i < n; i++)
		out[2 * i] = digits[b[i] >> 4], out[2 * i + 1] = digits[b[i] & 15];
	out[2 * n] = 0;
}

void attest_boot(void)
{
	uint8_t seed[48], pub[SV_ATTEST_PUBKEY_SIZE], digest[32];
	const char *source = "none";
	char text[2 * SV_ATTEST_PUBKEY_SIZE + 1];

	int err = arch_entropy(seed, sizeof(seed), &source);
	const struct attest_image img = {
		.text = _text, .text_len = (size_t)(_etext - _text),
		.rodata = _rodata, .rodata_len = (size_t)(_erodata - _rodata),
		.relro = _relro, .relro_len = (size_t)(_erelro - _relro),
		.relro_link = (uint64_t)(_relro - (const uint8_t *)ImageBase),
		.base = (uint64_t)ImageBase,
		.rela = _rela, .rela_len = (size_t)(_erela - _rela),
	};
	int kerr = attest_key_init(err ? NULL : seed, sizeof(seed), &img);
	for (volatile uint8_t *v = seed; v < seed + sizeof(seed); v++)
		*v = 0;
	attest_hv_digest(digest);
	hex(text, digest, sizeof(digest));
	log_info("attest: build digest %s\n", text);
	if (err || kerr) {
		log_err("attest: %s: attestation refused, %s (%d)\n",
			err == -ENODEV ? "no RDSEED or RDRAND on this CPU" :
			err ? "RDSEED and RDRAND keep failing" : "no key from the seed",
			errno_name(kerr), kerr);
		return;
	}
	attest_public_key(pub);
	hex(text, pub, sizeof(pub));
	log_info("attest: public key %s (P-256, seeded by %s)\n", text, source);
}
