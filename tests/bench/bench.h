/* Shared by the make bench programs in tests/bench: timing, rows, output. */
#ifndef TESTS_BENCH_BENCH_H
#define TESTS_BENCH_BENCH_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#define RUNS 5                   /* every figure: min / median / max of RUNS runs */
#define KIB4 4096UL
#define MIB (1UL << 20)
#define GIB (1UL << 30)

static inline double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

void die(const char *what);

/* One row: RUNS timings of work on `bytes` bytes, shown in ns per 4 KiB.
 * ref: the row it is compared with (-1: none); target: the largest
 * acceptable median ratio against ref (0: a comparison without a target).
 * series: the plot line it belongs to (NULL: not plotted). */
int row_add(const char *name, const char *series, uint64_t bytes, const double secs[RUNS],
	    int ref, double target);
/* A row whose run r ran next to its reference's run r (and the reference
 * itself, with ref -1): the ratio shown is the median of the run-by-run
 * ratios, which the machine's changing load disturbs less. */
int row_add_paired(const char *name, uint64_t bytes, const double secs[RUNS], int ref,
		   double target);
/* A row that could not run, with the reason (printed in the table). */
void row_skip(const char *name, const char *why);
/* Table on stdout, CSV and gnuplot data under dir. */
void rows_print(const char *dir);
double row_median(int row);      /* ns per 4 KiB */

/* The Linux side (bench_linux.c): each fills secs[] or returns a reason. */
enum linux_kind { LINUX_SHMEM, LINUX_HUGETLB, LINUX_GMEM };
const char *linux_name(enum linux_kind k);
/* Allocate `bytes` (one fallocate or 4 KiB steps), write one word in
 * every 4 KiB through a mapping, punch it all; RUNS times. */
const char *linux_cycle(enum linux_kind k, uint64_t bytes, bool steps, double secs[RUNS]);
/* 4 KiB steps over `bytes`: allocate each (timed into alloc), write
 * every page (not timed), punch each (timed into punch). */
const char *linux_steps(enum linux_kind k, uint64_t bytes, double alloc[RUNS], double punch[RUNS]);
void linux_setup(void);
void linux_teardown(void);

/* The bound and zeroing rows (bench_zero.c). */
void bench_zero(void *buf, uint64_t bytes);

#endif

/* The sealvisor side (bench_memobj.c): the host build of hv/ and mm/ with
 * the fake backend, a control partition calling hypercall_dispatch as its
 * VMCALL would. */
struct vm;
struct memobj;
extern struct vm *bench_control;
int64_t sv_hc(uint64_t nr, uint64_t a, uint64_t b, uint64_t c, uint64_t d);
/* A handle to a new object of `bytes`, GUEST-sealed if guest. */
int sv_object(unsigned flags, bool guest, uint64_t bytes);
struct memobj *sv_obj(int handle);
/* Hands every page of [0, bytes) out and writes one word in each: through
 * the fault path of vm if given (mapping it), else memobj_get_page. */
void sv_write_pages(int handle, struct vm *vm, uint64_t bytes);
/* A finalized guest VM whose region [0, bytes) is the object. */
struct vm *sv_guest(int handle, uint64_t bytes);

/* The longest wait behind a 1 GiB punch (bench_wait.c). */
void bench_wait(void);
/* Private <-> shared conversions and ACCEPT, 4 KiB and 2 MiB units
 * (bench_memattr.c). */
void bench_memattr(void);
