/*
 * The runtime of our Multiboot test kernels (tests/mb/, one file each): kernels of the
 * kind researchers write for `qemu-system-x86_64 -kernel k -append ...
 * -initrd ...`, which run unchanged on QEMU itself and under sealvisor's
 * runner (./sealvisor). guest/mb/entry.asm enters long mode and calls
 * mb_main; a kernel defines mb_test() and reports with mb_check(). Output
 * goes to COM1 (a 16550 driven as on hardware), the verdict to
 * isa-debug-exit at 0xf4: status 0 if every check passed (or the value of
 * "exit=N" on the command line), 1 otherwise.
 */
#ifndef SEALVISOR_MB_H
#define SEALVISOR_MB_H

#include <stdbool.h>
#include <stdint.h>
#include "guest/vmm/multiboot.h"

/* What entry.asm found at entry, before it changed anything. */
struct mb_entry_state {
	uint32_t eax, ebx, cr0, eflags;
	uint16_t cs, ds, ss, pad;
	uint32_t cr4;
};

extern const struct mb_entry_state *mb_entry;
extern const struct mb_info *mb_boot_info;   /* NULL if EAX had no magic */
extern const char *mb_name;                  /* the kernel's, for its lines */

void mb_test(void);                          /* each kernel's checks */
void mb_check(bool ok, const char *what);
void mb_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
__attribute__((noreturn)) void mb_exit(unsigned status);
/* The value of "key=" on the command line, or NULL (points into it). */
const char *mb_cmdline_value(const char *key);

static inline void outb(uint16_t port, uint8_t v) { __asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port)); }
static inline uint8_t inb(uint16_t port)
{
	uint8_t v;
	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline uint64_t mb_rdmsr(uint32_t msr)
{
	uint32_t lo, hi;
	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return (uint64_t)hi << 32 | lo;
}

#endif
