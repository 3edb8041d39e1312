#include <stdint.h>
#include "arch/x86/acpi.h"
#include "arch/x86/shutdown.h"
#include "arch/x86/x86.h"
#include "hv/log.h"
#include "hv/shutdown.h"
#include "hv/virt.h"
#include "arch/x86/svm/vmcb_clean.h"
#include "arch/x86/vmx/vmcs.h"

#define QEMU_DEBUG_EXIT_PORT 0xf4

static void (*firmware_poweroff)(int status);
static uint64_t acpi_rsdp;

void shutdown_init(void (*fw_poweroff)(int status), uint64_t rsdp)
{
	firmware_poweroff = fw_poweroff;
	acpi_rsdp = rsdp;
}

/* FADT RESET_REG (ACPI 2.0+), when it is a system-I/O port. */
static void acpi_reset(void)
{
	const uint8_t *fadt = (const uint8_t *)acpi_find_table(acpi_rsdp, "FACP");

	if (!fadt || ((const struct acpi_header *)fadt)->length < 129)
		return;
	uint32_t flags = *(const uint32_t *)(fadt + 112);
	uint8_t space = fadt[116];
	uint64_t addr = *(const uint64_t *)(fadt + 120);
	if ((flags & (1u << 10)) && space == 1 && addr <= 0xffff)
		outb((uint16_t)addr, fadt[128]);
}

void arch_shutdown(int status)
{
	extern const struct virt_ops vmx_ops, svm_ops;
	if (virt == &vmx_ops)
		vmx_log_counts();
	else if (virt == &svm_ops)
		svm_log_counts();
	console_printf("sealvisor: exit status %d\n", status);
	cli();
	/* QEMU: isa-debug-exit ends the emulator with (status << 1) | 1. */
	outl(QEMU_DEBUG_EXIT_PORT, (uint32_t)status);
	/* Bochs: the magic breakpoint stops it (a no-op on other CPUs). */
	__asm__ volatile("xchg %%bx, %%bx" ::: "memory");
	if (firmware_poweroff)
		firmware_poweroff(status);
	acpi_reset();
	outb(0xcf9, 0x06);   /* PCI reset control: hard reset */
	halt_forever();
	__builtin_unreachable();
}
