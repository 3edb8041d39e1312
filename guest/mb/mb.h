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
#include "guest/lib/cpu.h"
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

/* The local APIC's xAPIC register at offset reg. */
#define MB_LAPIC 0xfee00000UL
static inline volatile uint32_t *mb_lapic(unsigned reg)
{
	return (volatile uint32_t *)(MB_LAPIC + reg);
}

/* The ACPI MADT, found as a legacy OS finds it (the RSDP by search in
 * 0xe0000-0xfffff, then the RSDT), every checksum checked; NULL if not.
 * *len: its length. */
const uint8_t *mb_acpi_madt(uint32_t *len);

static inline void outb(uint16_t port, uint8_t v) { __asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port)); }
static inline uint8_t inb(uint16_t port)
{
	uint8_t v;
	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

#endif
