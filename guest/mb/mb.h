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

static inline void outb(uint16_t port, uint8_t v) { __asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port)); }
static inline void outw(uint16_t port, uint16_t v) { __asm__ volatile("outw %0, %1" : : "a"(v), "Nd"(port)); }
static inline void outl(uint16_t port, uint32_t v) { __asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port)); }
static inline uint8_t inb(uint16_t port)
{
	uint8_t v;
	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}
static inline uint16_t inw(uint16_t port)
{
	uint16_t v;
	__asm__ volatile("inw %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}
static inline uint32_t inl(uint16_t port)
{
	uint32_t v;
	__asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}


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
static inline void mb_lapic_eoi(void) { *mb_lapic(0xb0) = 0; }

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
/* A 64-bit interrupt gate for vector (DPL 0, selector 0x08) straight to
 * handler: for one written in assembly, which saves what it uses and ends
 * in IRETQ. Handlers in C go through mb_isr_set. */
void mb_idt_set(unsigned vector, void (*handler)(void));
void mb_idt_load(void);         /* on each CPU that takes interrupts */
/* An interrupt handler in C: called with interrupts off through the
 * vector's stub, which saves the registers the ABI lets it clobber
 * (general-purpose only: MB_HANDLER keeps the compiler off SSE, which the
 * stub does not save). A NULL handler makes the vector return at once
 * (spurious vectors: no EOI). Not for exceptions that push an error code. */
#define MB_HANDLER __attribute__((target("general-regs-only")))
void mb_isr_set(unsigned vector, void (*handler)(void));

/* ---- PC devices (guest/mb/pc.c, guest/mb/ioapic.c) ---- */
#define MB_COM1 0x3f8
/* COM1's THRE interrupt on (IER bit 1 only) once our last character
 * has left THR: IRQ 4 goes high and stays until IIR is read or IER
 * cleared. */
void mb_com1_thre_on(void);
uint8_t mb_cmos(uint8_t reg);
void mb_cmos_write(uint8_t reg, uint8_t v);
/* Until the RTC is not in an update cycle (register A's UIP clear), so
 * that the time registers read next agree; bounded by a spin count. */
void mb_rtc_wait_update(void);
/* PCI configuration mechanism 1, bus 0, a dword (reg & ~3). */
uint32_t mb_pci_read(unsigned dev, unsigned fn, unsigned reg);
/* The TSC cycles and local APIC timer counts (divide by 1) in a 10 ms
 * one-shot of PIT channel 2 (gate: port 0x61 bit 0, output: bit 5), as
 * Linux's pit_calibrate_tsc measures: the shortest of three; leaves the
 * APIC timer stopped and its LVT masked. */
struct mb_calib { uint64_t tsc_10ms; uint32_t apic_10ms; };
void mb_pit_calibrate(struct mb_calib *c);
/* The TSC only (the shortest of three such one-shots): the local APIC
 * left as it is. */
uint64_t mb_pit_tsc_10ms(void);
/* Channel 2 loaded in mode 0 with count, its gate low (it waits) and
 * the speaker off: raising port 0x61 bit 0 starts it. */
void mb_pit_ch2_load(uint16_t count);
/* PIT channel 0: mode 2 (rate generator, IRQ 0) with that divisor of
 * 1193182 Hz; stopped: mode 0 with count 0, which ends after one count. */
void mb_pit_periodic(uint16_t divisor);
void mb_pit_stop(void);
void mb_delay(uint64_t tsc);
/* Interrupts on until *v reaches want or tsc cycles pass, then off again:
 * spinning (for when nothing else may wake a HLT), or halting between
 * interrupts. */
void mb_spin_until(volatile uint32_t *v, uint32_t want, uint64_t tsc);
void mb_halt_until(volatile uint32_t *v, uint32_t want, uint64_t tsc);
/* Both 8259s masked: the firmware may have left IRQ 0 open (SeaBIOS does). */
void mb_pic_mask_all(void);
/* Both 8259s initialised (edge, cascade on IRQ 2, 8086 mode), the master's
 * IRQs on vectors base.., the slave's on base + 8.., then those masks. */
void mb_pic_remap(uint8_t base, uint8_t master_mask, uint8_t slave_mask);
/* Non-specific EOI: to the slave too for its IRQs (8-15). */
static inline void mb_pic_eoi(unsigned irq)
{
	if (irq >= 8)
		outb(0xa0, 0x20);
	outb(0x20, 0x20);
}

/* The I/O APIC at MB_IOAPIC (24 entries, as QEMU's and sealvisor's). */
#define MB_IOAPIC 0xfec00000UL
#define MB_IOAPIC_PINS 24
#define MB_RTE_REMOTE_IRR (1u << 14)
#define MB_RTE_LEVEL (1u << 15)
#define MB_RTE_MASKED (1u << 16)
uint32_t mb_ioapic_read(unsigned reg);
void mb_ioapic_write(unsigned reg, uint32_t v);
/* GSI's entry: physical destination APIC 0, low word as given (vector,
 * fixed delivery unless low says otherwise, trigger, mask). */
void mb_ioapic_route(unsigned gsi, uint32_t low);
uint32_t mb_ioapic_rte_low(unsigned gsi);
void mb_ioapic_mask_all(void);

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
/* An AP's fn for mb_start_ap: loads the shared IDT, turns its APIC on
 * (spurious vector 0xff), says it is ready, then takes interrupts for
 * ever. mb_ap_ready: its APIC id once it said so within tsc cycles, or
 * -1. */
__attribute__((noreturn)) void mb_ap_serve(void);
int mb_ap_ready(uint64_t tsc);
/* Ping and reply: the AP answers each fixed IPI on MB_PING_VECTOR with
 * one on MB_REPLY_VECTOR to the BSP (APIC id 0); both counted.
 * mb_ping_reply_set adds both handlers to the shared IDT. */
#define MB_REPLY_VECTOR 0x41    /* AP -> BSP */
#define MB_PING_VECTOR 0x50     /* BSP -> AP */
extern volatile uint32_t mb_pings, mb_replies;
void mb_ping_reply_set(void);

#endif
