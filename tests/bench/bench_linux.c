/*
 * The Linux rows of make bench: the same cycle as sealvisor's, on memfd
 * (shmem, 4 KiB pages: this host's shmem THP is "never"), memfd with
 * MFD_HUGETLB (2 MiB pages: the peer of sealvisor's 2 MiB extents; the
 * bench reserves vm.nr_hugepages itself when root and puts it back), and
 * KVM's guest_memfd (a type-0 VM, GUEST_MEMFD_FLAG_MMAP|INIT_SHARED so the
 * writes go through a mapping, as on the other rows).
 *
 * Equal work: both sides allocate, then write one 8-byte word in every
 * 4 KiB page (a guest touching its memory: on sealvisor the stage-2 fault
 * path hands the page out, on Linux the first write faults the page into
 * the mapping), then punch it all. Each side zeroes every page once per
 * cycle, Linux when the page is allocated (fallocate or first fault),
 * sealvisor when it leaves the object (punch). Linux pays mmap/munmap of
 * the range on top: a process cannot write to a memfd without it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include "tests/bench/bench.h"

#define KVMIO 0xAE
#define KVM_CREATE_VM _IO(KVMIO, 0x01)
struct kvm_create_guest_memfd_args {
	uint64_t size, flags, reserved[6];
};
#define KVM_CREATE_GUEST_MEMFD _IOWR(KVMIO, 0xd4, struct kvm_create_guest_memfd_args)
#define GUEST_MEMFD_FLAG_MMAP (1UL << 0)
#define GUEST_MEMFD_FLAG_INIT_SHARED (1UL << 1)

static int kvm_vm = -1;
static long saved_hugepages = -1;
static char why_hugetlb[160], why_gmem[160];

const char *linux_name(enum linux_kind k)
{
	static const char *const n[] = { "linux memfd (shmem, 4 KiB)", "linux memfd MFD_HUGETLB (2 MiB)",
					 "linux guest_memfd (KVM type-0 VM)" };
	return n[k];
}

static long read_long(const char *path)
{
	FILE *f = fopen(path, "r");
	long v = -1;
	if (f) {
		if (fscanf(f, "%ld", &v) != 1)
			v = -1;
		fclose(f);
	}
	return v;
}

static bool write_long(const char *path, long v)
{
	FILE *f = fopen(path, "w");
	if (!f)
		return false;
	bool ok = fprintf(f, "%ld\n", v) > 0;
	return fclose(f) == 0 && ok;
}

/* Enough 2 MiB pages for a 1 GiB object and a bit. */
static void hugetlb_setup(void)
{
	const char *p = "/proc/sys/vm/nr_hugepages";
	long want = GIB / (2 * MIB) + 16, have = read_long(p);

	if (have >= want)
		return;
	saved_hugepages = have;
	if (!write_long(p, want) || read_long(p) < want)
		snprintf(why_hugetlb, sizeof(why_hugetlb),
			 "vm.nr_hugepages is %ld, %ld needed, and it cannot be raised (%s)",
			 read_long(p), want, geteuid() ? "not root" : "not enough free memory");
}

static void gmem_setup(void)
{
	int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);

	if (kvm < 0) {
		snprintf(why_gmem, sizeof(why_gmem), "/dev/kvm: %s", strerror(errno));
		return;
	}
	kvm_vm = ioctl(kvm, KVM_CREATE_VM, 0);
	if (kvm_vm < 0)
		snprintf(why_gmem, sizeof(why_gmem), "KVM_CREATE_VM type 0: %s", strerror(errno));
	close(kvm);
}

void linux_setup(void)
{
	hugetlb_setup();
	gmem_setup();
}

void linux_teardown(void)
{
	if (saved_hugepages >= 0)
		write_long("/proc/sys/vm/nr_hugepages", saved_hugepages);
	if (kvm_vm >= 0)
		close(kvm_vm);
}

/* A new file of `bytes`, or -1 with the reason in *why. */
static int open_file(enum linux_kind k, uint64_t bytes, const char **why)
{
	static char buf[160];
	int fd = -1;

	switch (k) {
	case LINUX_SHMEM:
		fd = memfd_create("sealvisor-bench", MFD_CLOEXEC);
		break;
	case LINUX_HUGETLB:
		if (why_hugetlb[0]) {
			*why = why_hugetlb;
			return -1;
		}
		fd = memfd_create("sealvisor-bench", MFD_CLOEXEC | MFD_HUGETLB);
		break;
	case LINUX_GMEM: {
		if (why_gmem[0]) {
			*why = why_gmem;
			return -1;
		}
		struct kvm_create_guest_memfd_args a = {
			.size = bytes, .flags = GUEST_MEMFD_FLAG_MMAP | GUEST_MEMFD_FLAG_INIT_SHARED };
		fd = ioctl(kvm_vm, KVM_CREATE_GUEST_MEMFD, &a);
		if (fd < 0) {
			snprintf(buf, sizeof(buf), "KVM_CREATE_GUEST_MEMFD (MMAP|INIT_SHARED): %s",
				 strerror(errno));
			*why = buf;
		}
		return fd;
	}
	}
	if (fd < 0) {
		snprintf(buf, sizeof(buf), "memfd_create: %s", strerror(errno));
		*why = buf;
		return -1;
	}
	if (ftruncate(fd, bytes)) {
		snprintf(buf, sizeof(buf), "ftruncate: %s", strerror(errno));
		*why = buf;
		close(fd);
		return -1;
	}
	return fd;
}

/* guest_memfd allocates only with KEEP_SIZE; the others take it too. */
#define ALLOC FALLOC_FL_KEEP_SIZE
#define PUNCH (FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE)

static void write_pages(int fd, uint64_t bytes)
{
	volatile uint64_t *m = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);

	if (m == MAP_FAILED)
		die("mmap");
	for (uint64_t off = 0; off < bytes; off += KIB4)
		m[off / 8] = off | 1;
	munmap((void *)m, bytes);
}

static void alloc_range(int fd, uint64_t bytes, uint64_t step)
{
	for (uint64_t off = 0; off < bytes; off += step)
		if (fallocate(fd, ALLOC, off, step))
			die("fallocate");
}

static void punch_range(int fd, uint64_t bytes, uint64_t step)
{
	for (uint64_t off = 0; off < bytes; off += step)
		if (fallocate(fd, PUNCH, off, step))
			die("fallocate punch");
}

const char *linux_cycle(enum linux_kind k, uint64_t bytes, bool steps, double secs[RUNS])
{
	const char *why = NULL;
	uint64_t step = steps ? (k == LINUX_HUGETLB ? 2 * MIB : KIB4) : bytes;

	for (int r = 0; r < RUNS; r++) {
		int fd = open_file(k, bytes, &why);
		if (fd < 0)
			return why;
		double t0 = now();
		alloc_range(fd, bytes, step);
		write_pages(fd, bytes);
		punch_range(fd, bytes, step);
		secs[r] = now() - t0;
		close(fd);
	}
	return NULL;
}

const char *linux_steps(enum linux_kind k, uint64_t bytes, double alloc[RUNS], double punch[RUNS])
{
	const char *why = NULL;

	if (k == LINUX_HUGETLB)
		return "hugetlb pages are 2 MiB: no 4 KiB steps";
	for (int r = 0; r < RUNS; r++) {
		int fd = open_file(k, bytes, &why);
		if (fd < 0)
			return why;
		double t0 = now();
		alloc_range(fd, bytes, KIB4);
		alloc[r] = now() - t0;
		write_pages(fd, bytes);
		t0 = now();
		punch_range(fd, bytes, KIB4);
		punch[r] = now() - t0;
		close(fd);
	}
	return NULL;
}
