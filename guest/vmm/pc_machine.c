/* The VMM's PC (guest/vmm/pc_machine.h): port routing, the small
 * devices that need no file of their own (isa-debug-exit, reset lines,
 * the idle keyboard controller), and the interrupt glue. */
#include <sealvisor/errno.h>
#include "guest/vmm/pc_machine.h"
#include "lib/string.h"

static bool byte_write(struct pc *pc, uint16_t port, uint8_t v, uint64_t now);

/* What SeaBIOS leaves behind for a `qemu -kernel` guest, written through
 * the guest's own port paths: the PICs at vectors 0x08/0x70 with every
 * IRQ but the cascade masked (its PIC_IRQMASK_DEFAULT; SeaBIOS then
 * unmasks the IRQs of the devices it drives, which we leave masked: no
 * legacy interrupt reaches a guest that has not programmed the PIC), and
 * PIT channel 0 in mode 2 with count 0 (18.2 Hz), running. */
static void firmware_state(struct pc *pc, uint64_t now)
{
	static const uint8_t seq[][2] = {
		{ 0x20, 0x11 }, { 0xa0, 0x11 }, { 0x21, 0x08 }, { 0xa1, 0x70 },
		{ 0x21, 0x04 }, { 0xa1, 0x02 }, { 0x21, 0x01 }, { 0xa1, 0x01 },
		{ 0x21, 0xfb }, { 0xa1, 0xff },
		{ 0x43, 0x34 }, { 0x40, 0x00 }, { 0x40, 0x00 },
	};
	for (unsigned i = 0; i < sizeof(seq) / sizeof(seq[0]); i++)
		byte_write(pc, seq[i][0], seq[i][1], now);
}

int pc_init(struct pc *pc, const struct pc_config *cfg)
{
	if (!cfg->ncpus || cfg->ncpus > 255)
		return -EINVAL;
	memset(pc, 0, sizeof(*pc));
	uart_init(&pc->com1, cfg->com1_tx, cfg->com1_ctx);
	pic_init(&pc->pic);
	pit_init(&pc->pit, cfg->now_ns);
	rtc_init(&pc->rtc, cfg->epoch_s, cfg->now_ns, cfg->ram_below_4g, cfg->ram_above_4g,
		 cfg->ncpus);
	ioapic_init(&pc->ioapic, 0);
	pci_host_init(&pc->pci);
	acpi_pm_init(&pc->pm);
	pc->port92 = 0x02;                      /* A20 on */
	pc->kbc_status = PC_KBC_STATUS_IDLE;
	pc->pic_to_bsp = true;
	firmware_state(pc, cfg->now_ns);
	return 0;
}

int pc_set_irq(struct pc *pc, unsigned irq, bool level)
{
	if (irq >= 16 || irq == 2)
		return -EINVAL;
	pic_set_irq(&pc->pic, irq, level);
	return ioapic_set_irq(&pc->ioapic, irq == 0 ? 2 : irq, level);
}

/* Device outputs that are levels, re-driven after every access. */
static void sync_lines(struct pc *pc)
{
	bool l = uart_irq_level(&pc->com1);

	if (l != pc->com1_line) {
		pc->com1_line = l;
		pc_set_irq(pc, PC_COM1_IRQ, l);
	}
	l = rtc_irq_level(&pc->rtc);
	if (l != pc->rtc_line) {
		pc->rtc_line = l;
		pc_set_irq(pc, PC_RTC_IRQ, l);
	}
}

static void request_stop(struct pc *pc, enum pc_stop why)
{
	if (pc->stop == PC_RUNNING)
		pc->stop = why;
}

/* One byte at port; false if no device answers there. */
static bool byte_read(struct pc *pc, uint16_t port, uint8_t *v, uint64_t now)
{
	if (port >= PC_COM1_BASE && port < PC_COM1_BASE + 8)
		*v = uart_read(&pc->com1, port - PC_COM1_BASE);
	else if (port == 0x20 || port == 0x21 || port == 0xa0 || port == 0xa1 ||
		 port == 0x4d0 || port == 0x4d1)
		*v = pic_read(&pc->pic, port);
	else if ((port >= 0x40 && port <= 0x43) || port == 0x61)
		*v = pit_read(&pc->pit, port, now);
	else if (port == 0x70 || port == 0x71)
		*v = rtc_read(&pc->rtc, port, now);
	else if (port >= ACPI_PM_BASE && port < ACPI_PM_BASE + ACPI_PM_SIZE)
		*v = acpi_pm_read(&pc->pm, port - ACPI_PM_BASE, now);
	else if (port == 0x64)
		*v = pc->kbc_status;
	else if (port == 0x60)
		*v = 0;                         /* empty output buffer */
	else if (port == 0x92)
		*v = pc->port92;
	else if (port == 0x80)
		*v = 0xff;                      /* the POST/delay port, as QEMU's */
	else if (port == 0xcf9)
		*v = pc->rcr;
	else
		return false;
	return true;
}

static bool byte_write(struct pc *pc, uint16_t port, uint8_t v, uint64_t now)
{
	if (port >= PC_COM1_BASE && port < PC_COM1_BASE + 8)
		uart_write(&pc->com1, port - PC_COM1_BASE, v);
	else if (port == 0x20 || port == 0x21 || port == 0xa0 || port == 0xa1 ||
		 port == 0x4d0 || port == 0x4d1)
		pic_write(&pc->pic, port, v);
	else if ((port >= 0x40 && port <= 0x43) || port == 0x61)
		pit_write(&pc->pit, port, v, now);
	else if (port == 0x70 || port == 0x71)
		rtc_write(&pc->rtc, port, v, now);
	else if (port >= ACPI_PM_BASE && port < ACPI_PM_BASE + ACPI_PM_SIZE) {
		acpi_pm_write(&pc->pm, port - ACPI_PM_BASE, v);
		if (pc->pm.poweroff_requested)
			request_stop(pc, PC_POWEROFF);
	} else if (port == 0x64) {
		if (v == 0xfe)                  /* pulse the reset line */
			request_stop(pc, PC_RESET);
	} else if (port == 0x60 || port == 0x80) {
		;                               /* keyboard data; outb_p's delay port */
	} else if (port == 0x92) {
		pc->port92 = (v & ~1u) | 0x02;  /* A20 stays on */
		if (v & 1)
			request_stop(pc, PC_RESET);
	} else if (port == 0xcf9) {
		pc->rcr = v & 0x02;
		if (v & 0x04)
			request_stop(pc, PC_RESET);
	} else {
		return false;
	}
	return true;
}

/* The ports that take a whole access rather than bytes; true if handled. */
static bool wide_io(struct pc *pc, uint16_t port, unsigned size, bool write, uint32_t *val)
{
	if (port == PC_DEBUG_EXIT_PORT) {
		if (write) {
			uint32_t v = size == 4 ? *val : *val & ((1u << (8 * size)) - 1);
			pc->exit_status = (v << 1) | 1;
			request_stop(pc, PC_DEBUG_EXIT);
		} else {
			*val = 0;               /* QEMU's debug_exit_read */
		}
		return true;
	}
	if (port == 0xcf8 && size == 4) {
		if (write)
			pci_addr_write(&pc->pci, *val);
		else
			*val = pci_addr_read(&pc->pci);
		return true;
	}
	if (port >= 0xcfc && port <= 0xcff) {
		if (write)
			pci_data_write(&pc->pci, port, size, *val);
		else
			*val = pci_data_read(&pc->pci, port, size);
		return true;
	}
	return false;
}

int pc_io(struct pc *pc, uint16_t port, unsigned size, bool write, uint32_t *val, uint64_t now_ns)
{
	if (size != 1 && size != 2 && size != 4)
		return -EINVAL;
	if (!wide_io(pc, port, size, write, val)) {
		bool known = false;
		uint32_t out = 0;
		for (unsigned i = 0; i < size; i++) {
			uint16_t p = (uint16_t)(port + i);
			uint8_t b = 0xff;
			if (write)
				known |= byte_write(pc, p, (uint8_t)(*val >> (8 * i)), now_ns);
			else
				known |= byte_read(pc, p, &b, now_ns);
			out |= (uint32_t)b << (8 * i);
		}
		if (!write)
			*val = out;
		if (!known) {
			pc->last_unknown_port = port;
			if (write)
				pc->unknown_writes++;
			else
				pc->unknown_reads++;
		}
	}
	sync_lines(pc);
	return 0;
}

int pc_mmio(struct pc *pc, uint64_t gpa, unsigned size, bool write, uint64_t *val)
{
	if (gpa < IOAPIC_BASE || gpa - IOAPIC_BASE >= 0x1000)
		return -ENOENT;
	if (size != 1 && size != 2 && size != 4 && size != 8)
		return -EINVAL;
	if (write)
		ioapic_mmio_write(&pc->ioapic, gpa - IOAPIC_BASE, size, *val);
	else
		*val = ioapic_mmio_read(&pc->ioapic, gpa - IOAPIC_BASE, size);
	return 0;
}

uint64_t pc_next_event(const struct pc *pc, uint64_t now_ns)
{
	uint64_t pit = pit_next_irq0(&pc->pit, now_ns), rtc = rtc_next_event(&pc->rtc, now_ns);

	return rtc < pit ? rtc : pit;       /* PIT_NEVER is UINT64_MAX too */
}

void pc_tick(struct pc *pc, uint64_t now_ns)
{
	/* Many periods missed while the VMM slept make one interrupt, as on
	 * QEMU: the guest's clock code reads the PIT or TSC, not the count. */
	if (pit_irq0_edges(&pc->pit, now_ns)) {
		pc_set_irq(pc, 0, true);
		pc_set_irq(pc, 0, false);
	}
	rtc_tick(&pc->rtc, now_ns);
	sync_lines(pc);
}

int pc_next_delivery(struct pc *pc, struct pc_delivery *d)
{
	struct ioapic_msg m;

	memset(d, 0, sizeof(*d));
	while (ioapic_next(&pc->ioapic, &m)) {
		d->dest = m.dest;
		d->logical = m.logical;
		d->level = m.level;
		d->delivery_mode = m.delivery_mode;
		d->vector = m.vector;
		if (m.delivery_mode != IOAPIC_DM_EXTINT)
			return 1;
		/* ExtINT through the I/O APIC: the vector comes from the 8259.
		 * A VMM that acknowledges it at vCPU 0's window gets it there,
		 * under LINT0's rule, as QEMU's CPU reads the 8259 only when
		 * its LINT0 accepts it. */
		if (pc->pic_inta_by_vmm || !pic_output(&pc->pic))
			continue;
		d->vector = (uint8_t)pic_ack(&pc->pic);
		d->delivery_mode = IOAPIC_DM_FIXED;
		d->from_pic = true;
		return 1;
	}
	return pc->pic_inta_by_vmm ? 0 : pc_pic_inta(pc, d);
}

bool pc_pic_intr(const struct pc *pc)
{
	return pc->pic_to_bsp && pic_output(&pc->pic);
}

int pc_pic_inta(struct pc *pc, struct pc_delivery *d)
{
	memset(d, 0, sizeof(*d));
	if (!pc_pic_intr(pc))
		return 0;
	d->vector = (uint8_t)pic_ack(&pc->pic);
	d->delivery_mode = IOAPIC_DM_FIXED;
	d->from_pic = true;
	return 1;
}

unsigned pc_com1_feed(struct pc *pc, const uint8_t *bytes, unsigned n)
{
	unsigned done = uart_feed(&pc->com1, bytes, n);

	sync_lines(pc);
	return done;
}

void pc_eoi(struct pc *pc, uint8_t vector)
{
	ioapic_eoi(&pc->ioapic, vector);
}
