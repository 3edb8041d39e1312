/*
 * The VMM's PC: every device model of the machine a QEMU-pc guest expects
 * in one struct, the I/O port and MMIO dispatch, and the glue that turns
 * the interrupt controllers' outputs into "deliver vector V to vCPU D"
 * records. Pure: no hypercalls, no globals, time is the caller's "now".
 *
 * Ports: 0x20/0x21 0xa0/0xa1 0x4d0/0x4d1 PICs, 0x40-0x43 PIT, 0x61 PIT
 * gate/speaker, 0x60/0x64 keyboard controller (idle; 0xfe on 0x64 =
 * reset), 0x70/0x71 RTC/CMOS, 0x92 port A (bit 0 = reset, A20 reads on),
 * 0x80 POST/delay (reads 0xff), 0xf4 isa-debug-exit (the single port, any
 * size; reads 0), 0x3f8-0x3ff COM1 (IRQ 4), RTC on IRQ 8, 0x600-0x60b ACPI PM,
 * 0xcf8 (dword) PCI address, 0xcf9 (byte) reset control, 0xcfc-0xcff PCI
 * data. Everything else reads all ones and ignores writes, counted.
 * 2- and 4-byte accesses to byte-wide devices are split into byte
 * accesses on consecutive ports, as QEMU's ISA bus does.
 */
#ifndef SEALVISOR_VMM_PC_MACHINE_H
#define SEALVISOR_VMM_PC_MACHINE_H

#include <stdbool.h>
#include <stdint.h>
#include "guest/vmm/acpi_pm.h"
#include "guest/vmm/acpi_tables.h"
#include "guest/vmm/ioapic.h"
#include "guest/vmm/pci_host.h"
#include "guest/vmm/pic8259.h"
#include "guest/vmm/pit8254.h"
#include "guest/vmm/rtc_cmos.h"
#include "guest/vmm/uart16550.h"

#define PC_DEBUG_EXIT_PORT 0xf4
#define PC_COM1_BASE 0x3f8
#define PC_COM1_IRQ 4u
#define PC_RTC_IRQ 8u
#define PC_KBC_STATUS_IDLE 0x1c   /* QEMU's after the BIOS: self-test passed, command/data bit, unlocked */

struct pc_config {
	uint64_t now_ns, epoch_s;            /* wall time at now_ns = epoch_s + now_ns/1e9 */
	uint64_t ram_below_4g, ram_above_4g; /* bytes, for the CMOS */
	unsigned ncpus;
	uart_tx_fn *com1_tx;                 /* the guest's COM1 output */
	void *com1_ctx;
};

/* Why the guest wants to stop, for the VMM to act on. */
enum pc_stop { PC_RUNNING = 0, PC_RESET, PC_POWEROFF, PC_DEBUG_EXIT };

struct pc {
	struct uart com1;
	struct pic_pair pic;
	struct pit pit;
	struct rtc rtc;
	struct ioapic ioapic;
	struct pci_host pci;
	struct acpi_pm pm;
	uint8_t rcr;                 /* 0xcf9: bit 1 (reset type) kept */
	uint8_t port92;
	uint8_t kbc_status;
	enum pc_stop stop;
	uint32_t exit_status;        /* (value << 1) | 1, after PC_DEBUG_EXIT */
	bool com1_line;              /* the level last driven on IRQ 4 */
	bool rtc_line;               /* and on IRQ 8 */
	/* The PIC's INTR goes to vCPU 0 (LINT0 in ExtINT mode, the virtual-
	 * wire mode of a BSP after reset). Whether vCPU 0's LINT0 passes it
	 * is the hypervisor's to decide (its local APIC): the interrupt
	 * window the VMM asks for opens only then (README, hypercall 46). */
	bool pic_to_bsp;
	/* Set by a VMM that acknowledges the 8259 itself, only once vCPU 0
	 * can take the interrupt (pc_pic_inta at its interrupt window), as
	 * a CPU does: pc_next_delivery then leaves the LINT0 path alone, so
	 * a guest that masks the IRQ with interrupts off gets none later,
	 * and takes an I/O APIC ExtINT entry's message as that same INTR. */
	bool pic_inta_by_vmm;
	uint64_t unknown_reads, unknown_writes;
	uint16_t last_unknown_port;
};

/* A record for the VMM: inject vector into the vCPU(s) dest names (an
 * APIC id = vCPU index when !logical; a logical destination the VMM
 * resolves with its local APIC state otherwise). NMI/INIT/SMI modes carry
 * no meaningful vector. level: the vCPU's local APIC must send an EOI
 * back (pc_eoi) for this vector. */
struct pc_delivery {
	uint8_t vector, dest, delivery_mode;
	bool logical, level;
	bool from_pic;               /* the 8259 answered INTA for it */
};

/* The machine as a guest started by `qemu -kernel` finds it after the
 * firmware: PICs initialised (vectors 0x08/0x70, all masked but the
 * cascade), PIT channel 0 at 18.2 Hz, RTC in BCD 24-hour mode, I/O APIC
 * entries masked. -EINVAL for ncpus 0 or above 255. */
int pc_init(struct pc *pc, const struct pc_config *cfg);
/* One port access of size 1, 2 or 4 (-EINVAL otherwise; *val untouched).
 * A read fills *val (upper bytes zero); returns 0. */
int pc_io(struct pc *pc, uint16_t port, unsigned size, bool write, uint32_t *val, uint64_t now_ns);
/* One access in the I/O APIC page (gpa in [IOAPIC_BASE, +4 KiB)), size 1,
 * 2, 4 or 8; -ENOENT for another gpa, -EINVAL for another size. */
int pc_mmio(struct pc *pc, uint64_t gpa, unsigned size, bool write, uint64_t *val);
/* An ISA interrupt line (0-15, not 2): to the PIC's input and the I/O
 * APIC's GSI (IRQ 0 -> GSI 2, the MADT's override; others 1:1). */
int pc_set_irq(struct pc *pc, unsigned irq, bool level);
/* Timers: when the VMM should next call pc_tick (PIT_NEVER: no need), and
 * the call, which raises IRQ 0 for the PIT's edges since the last and
 * IRQ 8 for the RTC's events. */
uint64_t pc_next_event(const struct pc *pc, uint64_t now_ns);
void pc_tick(struct pc *pc, uint64_t now_ns);
/* The 8259's INTR on vCPU 0's LINT0 (virtual wire) is raised. */
bool pc_pic_intr(const struct pc *pc);
/* Its INTA: 1 and the record (from_pic) if INTR is still raised, else 0. */
int pc_pic_inta(struct pc *pc, struct pc_delivery *d);
/* Takes the next interrupt to deliver: 1 and *d, or 0 when none. The
 * PIC's INTA happens here (the vector is the one the CPU would read), so
 * the VMM must inject every record it takes (queueing it while the vCPU
 * cannot take interrupts). Any pc_io, pc_mmio, pc_tick, pc_eoi or
 * pc_com1_feed may make new records: the run loop drains them after each
 * (a PIC EOI written by the guest can release the next IRQ). */
int pc_next_delivery(struct pc *pc, struct pc_delivery *d);
/* Input for COM1 (the VMM's console): as uart_feed, then IRQ 4 follows
 * the UART. Returns how many bytes fit; the VMM keeps the rest. */
unsigned pc_com1_feed(struct pc *pc, const uint8_t *bytes, unsigned n);
/* A local APIC's EOI for vector (level-triggered I/O APIC entries). */
void pc_eoi(struct pc *pc, uint8_t vector);

#endif
