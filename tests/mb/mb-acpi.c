/* mb-acpi: the ACPI tables as an OS walks them, and the hardware they
 * describe: the RSDP by search (its checksums; the XSDT, if revision 2,
 * agreeing with the RSDT), every RSDT table's checksum, the FADT (DSDT
 * and FACS, SCI on IRQ 9, the PM timer counting at 3.58 MHz), the MADT
 * (local APIC address and PC-AT flag, one enabled local APIC per CPU with
 * ids 0..n-1, the I/O APIC at 0xfec00000 from GSI 0, IRQ 0 -> GSI 2 and a
 * level-triggered SCI, the LINT1 NMI), and the I/O APIC's own registers
 * through MMIO (its id as the MADT says, 24 entries, an entry that reads
 * back). Same lines on QEMU and under ./sealvisor. */
#include "guest/mb/mb.h"
#include "lib/string.h"

const char *mb_name = "mb-acpi";

static uint32_t u32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static uint64_t u64(const uint8_t *p) { uint64_t v; memcpy(&v, p, 8); return v; }

static bool table_ok(uint64_t at)
{
	const uint8_t *t = (const uint8_t *)(uintptr_t)at;
	return at && at < (1ULL << 32) && !mb_acpi_sum(t, u32(t + 4));
}

static void roots(void)
{
	const uint8_t *r = mb_acpi_rsdp();
	mb_check(r != NULL, "RSDP found in 0xe0000-0xfffff, its checksum right");
	if (!r)
		return;
	const uint8_t *rsdt = (const uint8_t *)(uintptr_t)u32(r + 16);
	uint32_t n = (u32(rsdt + 4) - 36) / 4;
	mb_check(!memcmp(rsdt, "RSDT", 4) && table_ok(u32(r + 16)), "RSDT: signature and checksum");
	bool all = true;
	for (uint32_t i = 0; i < n; i++)
		all &= table_ok(u32(rsdt + 36 + 4 * i));
	mb_check(all, "every table the RSDT lists has a right checksum");
	bool xsdt_agrees = true;
	if (r[15] >= 2) {
		const uint8_t *x = (const uint8_t *)(uintptr_t)u64(r + 24);
		xsdt_agrees = !mb_acpi_sum(r, u32(r + 20)) && !memcmp(x, "XSDT", 4) &&
			      table_ok(u64(r + 24)) && (u32(x + 4) - 36) / 8 == n;
		for (uint32_t i = 0; xsdt_agrees && i < n; i++)
			xsdt_agrees = u64(x + 36 + 8 * i) == u32(rsdt + 36 + 4 * i);
	}
	mb_check(xsdt_agrees, "XSDT (RSDP revision 2) lists what the RSDT lists");
}

static uint32_t pm_timer(uint16_t port)
{
	uint32_t v;
	__asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
	return v & 0xffffff;
}

static void fadt(const struct mb_calib *c)
{
	uint32_t len;
	const uint8_t *f = mb_acpi_table("FACP", &len);

	mb_check(f != NULL, "FADT present");
	if (!f)
		return;
	const uint8_t *dsdt = (const uint8_t *)(uintptr_t)u32(f + 40);
	const uint8_t *facs = (const uint8_t *)(uintptr_t)u32(f + 36);
	mb_check(!memcmp(dsdt, "DSDT", 4) && table_ok(u32(f + 40)), "FADT's DSDT: signature and checksum");
	mb_check(facs && !memcmp(facs, "FACS", 4), "FADT's FACS: signature");
	mb_check((f[46] | f[47] << 8) == 9, "SCI on IRQ 9");
	uint16_t tmr = (uint16_t)u32(f + 76);
	mb_check(u32(f + 56) && tmr && f[91] == 4, "PM1a event block and a 4-byte PM timer block");
	/* Wide bounds and three tries: an emulator on a loaded host may lose
	 * the CPU between two reads; a wrong rate fails every try. */
	bool rate = false;
	for (int try = 0; try < 3 && !rate; try++) {
		uint32_t t0 = pm_timer(tmr);
		mb_delay(c->tsc_10ms / 5);                /* 2 ms: 7159 ticks */
		uint32_t ticks = (pm_timer(tmr) - t0) & 0xffffff;
		rate = ticks > 3000 && ticks < 30000;
	}
	mb_check(rate, "PM timer: about 7159 ticks in 2 ms (3000 to 30000)");
}

static void madt(void)
{
	uint32_t len;
	const uint8_t *m = mb_acpi_madt(&len);
	unsigned cpus = 0, ioapics = 0;
	bool ids = true, sci = false, irq0 = false, nmi = false;

	mb_check(m && u32(m + 36) == 0xfee00000u && (u32(m + 40) & 1),
		 "MADT: local APIC at 0xfee00000, PC-AT compatible (8259s present)");
	for (uint32_t e = 44; m && e + 2 <= len && m[e + 1] >= 2; e += m[e + 1]) {
		const uint8_t *x = m + e;
		if (x[0] == 0 && (x[4] & 1)) {
			ids &= x[2] == cpus && x[3] == cpus;
			cpus++;
		}
		if (x[0] == 1) {
			ioapics++;
			ids &= u32(x + 4) == MB_IOAPIC && u32(x + 8) == 0 &&
			       (mb_ioapic_read(0) >> 24 & 0xf) == x[2];
		}
		if (x[0] == 2 && x[3] == 0)
			irq0 = u32(x + 4) == 2;
		if (x[0] == 2 && x[3] == 9)
			sci = u32(x + 4) == 9 && (x[8] & 0x0f) == 0x0d;
		if (x[0] == 4)
			nmi = x[5] == 1;
	}
	mb_printf("%s: the MADT lists %u enabled CPU(s)\n", mb_name, cpus);
	mb_check(cpus >= 1 && ioapics == 1 && ids,
		 "CPUs with ids 0..n-1; one I/O APIC at 0xfec00000 from GSI 0, its id as its register");
	mb_check(irq0, "override: ISA IRQ 0 -> GSI 2");
	mb_check(sci, "override: IRQ 9 (the SCI) level-triggered, active high");
	mb_check(nmi, "local APIC NMI on LINT1");
}

static void ioapic(void)
{
	uint32_t ver = mb_ioapic_read(1);
	mb_check((ver >> 16 & 0xff) == 23 && (ver & 0xff) >= 0x11 && (ver & 0xff) <= 0x20,
		 "I/O APIC version register: 24 entries, version 0x11-0x20");
	mb_ioapic_write(0x10 + 2 * 10 + 1, 0x01000000u);      /* entry 10: to APIC 1 */
	mb_ioapic_write(0x10 + 2 * 10, 0x00010055u);          /* masked, vector 0x55 */
	bool back = mb_ioapic_read(0x10 + 2 * 10) == 0x00010055u && mb_ioapic_read(0x10 + 2 * 10 + 1) >> 24 == 1;
	mb_ioapic_write(0x10 + 2 * 10 + 1, 0);
	mb_ioapic_write(0x10 + 2 * 10, 0x00010000u);
	mb_check(back, "a redirection entry reads back (masked, vector, destination)");
}

void mb_test(void)
{
	struct mb_calib c;

	mb_pit_calibrate(&c);
	roots();
	fadt(&c);
	madt();
	ioapic();
}
