/*
 * The hypervisor's build digest (hv/attest.h attest_build_digest):
 * SHA-256 over .text, .rodata, the relocated read-only data (.data.rel.ro
 * and the GOT, where the hypercall table's rights and the backends' ops
 * tables live) as the file holds it, and the relocations themselves.
 *
 * Why the relocated data and .rela: they steer the code as much as .text
 * does (a build with one any_partition flag flipped in the hypercall table
 * hands a guest the control partition's calls), so a digest without them
 * would let a changed hypervisor attest as the real one. crt0 adds the load
 * base to each slot a relocation names; subtracting it again gives the
 * bytes sv-verify reads from build/sealvisor.so (each slot its addend), so
 * the digest stays recomputable wherever UEFI loaded the image. Hashing
 * .rela too means a relocation added to shift some other slot changes it.
 */
#include "hv/attest.h"
#include "lib/sha256.h"
#include "lib/string.h"

#define CHUNK 256u

struct rela {
	uint64_t offset, info;
	int64_t addend;
};

static uint64_t rd64(const uint8_t *p)
{
	uint64_t v = 0;

	for (unsigned j = 0; j < 8; j++)
		v |= (uint64_t)p[j] << (8 * j);
	return v;
}

/* Puts each relocated slot's base-relative value (its addend) over buf,
 * the bytes [at, at + len) of the relocated data at link addresses; byte
 * by byte, so a slot straddling two chunks is handled like any other.
 * Only slots wholly inside the relocated data: one elsewhere changes .text
 * or .rodata's loaded bytes, or data the digest does not cover at all. */
static void unrelocate(uint8_t *buf, uint64_t at, size_t len, const struct attest_image *img)
{
	const struct rela *rel = img->rela;
	uint64_t lo = img->relro_link, hi = img->relro_link + img->relro_len;

	if (img->relro_len < 8)
		return;
	for (size_t i = 0; i < img->rela_len / sizeof(*rel); i++) {
		uint64_t slot = rel[i].offset;
		if (slot < lo || slot > hi - 8 || slot + 8 <= at || slot >= at + len)
			continue;
		uint64_t v = rd64(img->relro + (slot - lo)) - img->base;
		for (unsigned k = 0; k < 8; k++)
			if (slot + k >= at && slot + k < at + len)
				buf[slot + k - at] = (uint8_t)(v >> (8 * k));
	}
}

void attest_build_digest(const struct attest_image *img, uint8_t out[32])
{
	struct sha256 h;
	uint8_t buf[CHUNK];

	sha256_init(&h);
	sha256_update(&h, img->text, img->text_len);
	sha256_update(&h, img->rodata, img->rodata_len);
	for (size_t off = 0; off < img->relro_len; off += CHUNK) {
		size_t n = img->relro_len - off < CHUNK ? img->relro_len - off : CHUNK;
		memcpy(buf, img->relro + off, n);
		unrelocate(buf, img->relro_link + off, n, img);
		sha256_update(&h, buf, n);
	}
	sha256_update(&h, img->rela, img->rela_len);
	sha256_final(&h, out);
}
