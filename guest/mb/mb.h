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

/* ---- ACPI (guest/mb/acpi.c) ---- */
/* The RSDP, found as a legacy OS finds it (search of 0xe0000-0xfffff on
 * 16-byte boundaries, its 20-byte checksum); NULL if none. */
const uint8_t *mb_acpi_rsdp(void);
/* The table with that signature listed in the RSDT, its checksum checked
 * (and the RSDT's); NULL if not. *len: its length. */
const uint8_t *mb_acpi_table(const char sig[4], uint32_t *len);
static inline const uint8_t *mb_acpi_madt(uint32_t *len) { return mb_acpi_table("APIC", len); }
/* Enabled local APICs in the MADT (0 without one). */
unsigned mb_madt_cpus(void);
/* The GSI an ISA IRQ arrives on: the MADT's interrupt source override,
 * or the IRQ itself; -1 without a MADT. */
int mb_madt_gsi(unsigned irq);
uint8_t mb_acpi_sum(const uint8_t *p, uint32_t n);

/* ---- the IDT both CPUs load (guest/mb/idt.c) ---- */
/* A 64-bit interrupt gate for vector (DPL 0, selector 0x08). */
void mb_idt_set(unsigned vector, void (*handler)(void));
void mb_idt_load(void);         /* on each CPU that takes interrupts */

/* ---- PC devices (guest/mb/pc.c) ---- */
uint8_t mb_cmos(uint8_t reg);
void mb_cmos_write(uint8_t reg, uint8_t v);
/* PCI configuration mechanism 1, bus 0, a dword (reg & ~3). */
uint32_t mb_pci_read(unsigned dev, unsigned fn, unsigned reg);
/* The TSC cycles and local APIC timer counts (divide by 1) in a 10 ms
 * one-shot of PIT channel 2 (gate: port 0x61 bit 0, output: bit 5), as
 * Linux's pit_calibrate_tsc measures: the shortest of three; leaves the
 * APIC timer stopped and its LVT masked. */
struct mb_calib { uint64_t tsc_10ms; uint32_t apic_10ms; };
void mb_pit_calibrate(struct mb_calib *c);
void mb_delay(uint64_t tsc);
/* Both 8259s masked: the firmware may have left IRQ 0 open (SeaBIOS does). */
void mb_pic_mask_all(void);

/* ---- the second CPU (guest/mb/smp.c, guest/mb/ap.asm) ---- */
/* What the AP's trampoline saw in real mode, before changing anything. */
struct mb_ap_start { uint16_t cs; uint16_t cr0_low; };
/* INIT, then up to two SIPIs to APIC id 1 (vector MB_AP_TRAMP >> 12, the
 * trampoline's page below 1 MiB); the AP enters long mode on the BSP's page
 * tables and GDT layout, on its own stack, and calls fn (which must not
 * return). True when it got to fn within a second; *seen: its real-mode
 * state. */
#define MB_AP_TRAMP 0x70000UL
bool mb_start_ap(void (*fn)(void), uint64_t tsc_10ms, struct mb_ap_start *seen);
/* xAPIC ICR: send (low word) to APIC id dest, wait until delivered. */
void mb_send_ipi(uint8_t dest, uint32_t low);

static inline void outb(uint16_t port, uint8_t v) { __asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port)); }
static inline uint8_t inb(uint16_t port)
{
	uint8_t v;
	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

#endif
