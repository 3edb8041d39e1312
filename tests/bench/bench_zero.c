/*
 * The zeroing rows of make bench: mm/zero.c's choice and every method the
 * CPU has, against the bound: the fastest non-temporal store loop of this
 * machine writing NON-ZERO data (a loop writing zeros over zeros can be
 * flattered by the memory system: on the EPYC VM we measure, zero stores
 * run faster than any other value). Same buffer, same run, same block
 * sizes; each timing covers its fence.
 */
#include <immintrin.h>
#include <string.h>
#include "mm/zero.h"
#include "tests/bench/bench.h"

#define PATTERN 0x0101010101010101UL

static void nt_movnti(void *p, size_t n)
{
	uint64_t *q = p, *e = (uint64_t *)((char *)p + n), v = PATTERN;

	for (; q < e; q += 8)
		__asm__ volatile("movnti %1, 0(%0)\n\tmovnti %1, 8(%0)\n\tmovnti %1, 16(%0)\n\t"
				 "movnti %1, 24(%0)\n\tmovnti %1, 32(%0)\n\tmovnti %1, 40(%0)\n\t"
				 "movnti %1, 48(%0)\n\tmovnti %1, 56(%0)"
				 : : "r"(q), "r"(v) : "memory");
}

__attribute__((target("avx2"))) static void nt_avx2(void *p, size_t n)
{
	__m256i v = _mm256_set1_epi64x(PATTERN);

	for (char *q = p; q < (char *)p + n; q += 128) {
		_mm256_stream_si256((void *)q, v);
		_mm256_stream_si256((void *)(q + 32), v);
		_mm256_stream_si256((void *)(q + 64), v);
		_mm256_stream_si256((void *)(q + 96), v);
	}
}

__attribute__((target("avx512f"))) static void nt_avx512(void *p, size_t n)
{
	__m512i v = _mm512_set1_epi64(PATTERN);

	for (char *q = p; q < (char *)p + n; q += 128) {
		_mm512_stream_si512((void *)q, v);
		_mm512_stream_si512((void *)(q + 64), v);
	}
}

static void memset_zero(void *p, size_t n)
{
	memset(p, 0, n);
	__asm__ volatile("" : : "r"(p) : "memory");
}

static enum zero_method method;
static void zero_method_fn(void *p, size_t n)
{
	zero_with(method, p, n);
}

static double time_loop(void (*fn)(void *, size_t), char *buf, uint64_t bytes, uint64_t block)
{
	double t0 = now();
	for (uint64_t off = 0; off < bytes; off += block)
		fn(buf + off, block);
	zero_fence();
	return now() - t0;
}

static const char *names[2][ZERO_NR_METHODS] = {
	{ "zero: movnti, 2 MiB calls", "zero: clzero, 2 MiB calls", "zero: rep stosb, 2 MiB calls" },
	{ "zero: movnti, 4 KiB calls", "zero: clzero, 4 KiB calls", "zero: rep stosb, 4 KiB calls" },
};
static const char *chosen_names[2] = { "zero_nocache (mm/zero.c's choice), 2 MiB calls",
				       "zero_nocache (mm/zero.c's choice), 4 KiB calls" };

void bench_zero(void *buf, uint64_t bytes)
{
	struct { const char *name[2]; void (*fn)(void *, size_t); bool ok; } bound[] = {
		{ { "bound: movnti non-zero, 2 MiB calls", "bound: movnti non-zero, 4 KiB calls" },
		  nt_movnti, true },
		{ { "bound: AVX2 vmovntdq non-zero, 2 MiB calls", "bound: AVX2 vmovntdq non-zero, 4 KiB calls" },
		  nt_avx2, __builtin_cpu_supports("avx2") },
		{ { "bound: AVX-512 vmovntdq non-zero, 2 MiB calls",
		    "bound: AVX-512 vmovntdq non-zero, 4 KiB calls" },
		  nt_avx512, __builtin_cpu_supports("avx512f") },
	};
	const uint64_t blocks[2] = { 2 * MIB, KIB4 };

	for (int b = 0; b < 2; b++) {
		double t[3][RUNS], best[RUNS], chosen[RUNS], m[ZERO_NR_METHODS][RUNS], ms[RUNS];
		for (int r = 0; r < RUNS; r++) {
			best[r] = 1e9;
			for (int k = 0; k < 3; k++) {
				if (!bound[k].ok)
					continue;
				t[k][r] = time_loop(bound[k].fn, buf, bytes, blocks[b]);
				best[r] = t[k][r] < best[r] ? t[k][r] : best[r];
			}
			method = zero_method();
			chosen[r] = time_loop(zero_method_fn, buf, bytes, blocks[b]);
			for (int k = 0; k < ZERO_NR_METHODS; k++) {
				if (!zero_method_available(k))
					continue;
				method = k;
				m[k][r] = time_loop(zero_method_fn, buf, bytes, blocks[b]);
			}
			ms[r] = time_loop(memset_zero, buf, bytes, blocks[b]);
		}
		int ref = row_add_paired(b ? "bound: best non-temporal loop, non-zero, 4 KiB calls"
					   : "bound: best non-temporal loop, non-zero, 2 MiB calls",
					 bytes, best, -1, 0);
		for (int k = 0; k < 3; k++)
			if (bound[k].ok)
				row_add(bound[k].name[b], NULL, bytes, t[k], ref, 0);
		row_add_paired(chosen_names[b], bytes, chosen, ref, 1.15);
		for (int k = 0; k < ZERO_NR_METHODS; k++)
			if (zero_method_available(k))
				row_add(names[b][k], NULL, bytes, m[k], ref, 0);
		row_add(b ? "memset zero (libc), 4 KiB calls" : "memset zero (libc), 2 MiB calls", NULL,
			bytes, ms, ref, 0);
	}
}
