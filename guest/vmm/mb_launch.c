/* Multiboot launches (guest/vmm/mb_launch.h). */
#include <sealvisor/errno.h>
#include "guest/lib/sv.h"
#include "guest/vmm/acpi_tables.h"
#include "guest/vmm/mb_launch.h"
#include "guest/vmm/multiboot.h"

#define PAGE 4096ull
#define MB_LOADER_NAME "sealvisor"

int64_t mb_launch_refuse(struct mb_launch *l, int64_t err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	sv_vsnprintf(l->why, sizeof(l->why), fmt, ap);
	va_end(ap);
	return err;
}

bool mb_launch_is_multiboot(const struct sv_module *m)
{
	const uint32_t *w = (const uint32_t *)m->gpa;
	uint64_t n = (m->size < MB_SEARCH_LIMIT ? m->size : MB_SEARCH_LIMIT) / 4;

	for (uint64_t i = 0; i + 2 < n; i++)
		if (w[i] == MB_HEADER_MAGIC && (uint32_t)(w[i] + w[i + 1] + w[i + 2]) == 0)
			return true;
	return false;
}

int64_t mb_launch_populate(struct mb_launch *l, uint64_t gpa, uint64_t src, uint64_t len,
			   const char *what)
{
	int64_t r = len ? sv_call4(SV_HC_VM_POPULATE, l->vm, gpa, src, len) : 0;

	if (r)
		return mb_launch_refuse(l, r, "populating %s at 0x%lx (+0x%lx) failed", what, gpa, len);
	return 0;
}

static uint64_t kernel_end(const struct mb_image *img)
{
	uint64_t end = 0;

	for (unsigned i = 0; i < img->nseg; i++)
		if (img->seg[i].paddr + img->seg[i].memsz > end)
			end = img->seg[i].paddr + img->seg[i].memsz;
	return end;
}

/* Modules follow the kernel, each page aligned, as QEMU places them. */
static int64_t place_modules(struct mb_launch *l, uint64_t at, struct mb_module *mods)
{
	uint64_t low = pc_ram_low(l->ram);

	for (unsigned i = 0; i < l->cfg->nr_initrds; i++) {
		const struct sv_module *m = l->initrd[i];
		at = (at + PAGE - 1) & ~(PAGE - 1);
		if (at > low || m->size > low - at)
			return mb_launch_refuse(l, -ENOSPC, "initrd '%s' (%lu bytes) does not fit in the %lu MiB "
				      "of RAM below 4 GiB after the kernel", m->name, m->size, low >> 20);
		mods[i] = (struct mb_module){ (uint32_t)at, (uint32_t)(at + m->size), m->name };
		int64_t r = mb_launch_populate(l, at, m->gpa, m->size, "an initrd");
		if (r)
			return r;
		at += m->size;
	}
	return 0;
}

static int64_t put_information(struct mb_launch *l, const struct mb_module *mods)
{
	static char cmdline[VMCFG_NAME_MAX + VMCFG_APPEND_MAX + 2];
	struct pc_ram_range ram[PC_RAM_MAP_MAX];
	struct mb_mmap map[PC_RAM_MAP_MAX];
	unsigned n = pc_ram_map(l->ram, ram);

	for (unsigned i = 0; i < n; i++)
		map[i] = (struct mb_mmap){ ram[i].base, ram[i].length, ram[i].type };
	/* As QEMU and GRUB: the kernel's own name, then its arguments. */
	sv_snprintf(cmdline, sizeof(cmdline), "%s%s%s", l->kernel->name,
		    l->cfg->append[0] ? " " : "", l->cfg->append);
	struct mb_boot b = { map, n, cmdline, mods, l->cfg->nr_initrds, MB_LOADER_NAME };
	int64_t used = mb_build_info(l->scratch, MB_INFO_SIZE, MB_INFO_GPA, &b);
	if (used < 0)
		return mb_launch_refuse(l, used, "the boot information does not fit in its 0x%lx bytes",
			      MB_INFO_SIZE);
	return mb_launch_populate(l, MB_INFO_GPA, (uint64_t)l->scratch, (uint64_t)used, "the boot information");
}

/* The ACPI tables (RSDP first, where a legacy search finds it), built in
 * the VMM's scratch memory and populated: measured like everything else. */
int64_t mb_launch_put_acpi_tables(struct mb_launch *l)
{
	int64_t used = acpi_build(l->scratch, MB_FIRMWARE_SIZE, MB_FIRMWARE_GPA, l->cfg->vcpus);

	if (used < 0)
		return mb_launch_refuse(l, used, "the ACPI tables for %u vCPUs do not fit in 0x%lx bytes",
			      l->cfg->vcpus, MB_FIRMWARE_SIZE);
	return mb_launch_populate(l, MB_FIRMWARE_GPA, (uint64_t)l->scratch, (uint64_t)used, "the ACPI tables");
}

/* Application processors wait for the BSP's INIT and SIPI, as on a PC. */
int64_t mb_launch_create_aps(struct mb_launch *l)
{
	for (unsigned i = 1; i < l->cfg->vcpus; i++) {
		struct sv_vcpu_regs regs = { 0 };
		int64_t r = sv_call3(SV_HC_VCPU_CREATE, l->vm, i, (uint64_t)&regs);
		if (!r)
			r = sv_call3(SV_HC_VCPU_SET_MP_STATE, l->vm, i, SV_MP_STATE_WAIT_SIPI);
		if (r)
			return mb_launch_refuse(l, r, "application processor %u could not be created", i);
	}
	return 0;
}

/* 3.2: flat 4 GiB segments, CR0.PE (with ET and NE),
 * EFLAGS with IF and VM clear, EAX magic, EBX the information. */
static int64_t set_entry_state(struct mb_launch *l)
{
	static struct sv_regs regs;
	static struct sv_sregs sregs;
	struct sv_vcpu_regs first = { .rip = l->entry };
	int64_t r = sv_call3(SV_HC_VCPU_CREATE, l->vm, 0, (uint64_t)&first);

	if (r)
		return mb_launch_refuse(l, r, "VCPU_CREATE failed");
	memset(&regs, 0, sizeof(regs));
	memset(&sregs, 0, sizeof(sregs));
	regs.rax = MB_BOOT_MAGIC;
	regs.rbx = MB_INFO_GPA;
	regs.rip = l->entry;
	regs.rflags = 2;
	/* ESP is undefined (3.2); a kernel that pushes before setting its
	 * own stack gets low free RAM below the information, not a fault. */
	regs.rsp = MB_INFO_GPA;
	sregs.cs = (struct sv_segment){ 0, 0xffffffff, 0x08, 0xc9b };
	sregs.ds = (struct sv_segment){ 0, 0xffffffff, 0x10, 0xc93 };
	sregs.es = sregs.fs = sregs.gs = sregs.ss = sregs.ds;
	sregs.tr = (struct sv_segment){ 0, 0x67, 0x18, 0x8b };
	sregs.cr0 = 0x31;               /* and NE: VMX cannot enter without it */
	if ((r = sv_call3(SV_HC_VCPU_SET_SREGS, l->vm, 0, (uint64_t)&sregs)) ||
	    (r = sv_call3(SV_HC_VCPU_SET_REGS, l->vm, 0, (uint64_t)&regs)))
		return mb_launch_refuse(l, r, "setting the Multiboot entry state failed");
	return 0;
}

int64_t mb_launch_load(struct mb_launch *l)
{
	static struct mb_image img;
	struct mb_error err;
	struct mb_module mods[VMCFG_MAX_INITRDS];
	const struct mb_range reserved[] = {
		{ 0, 0x1000, "over page 0" },
		{ MB_INFO_GPA, MB_INFO_GPA + MB_INFO_SIZE, "over the boot information" },
		{ MB_LOW_RAM_END, 0x100000, "over the reserved area below 1 MiB" },
	};
	int64_t r;

	/* The image goes below 4 GiB: its paddrs are 32 bits for an ELF32
	 * kernel, and paging is off at entry. */
	r = mb_parse((const void *)l->kernel->gpa, l->kernel->size, pc_ram_low(l->ram), reserved, 3,
		     &img, &err);
	if (r)
		return mb_launch_refuse(l, r, "kernel '%s' refused: %s = 0x%lx: %s", l->kernel->name, err.field,
			      err.value, err.why);
	for (unsigned i = 0; i < img.nseg; i++)
		if ((r = mb_launch_populate(l, img.seg[i].paddr, l->kernel->gpa + img.seg[i].offset,
				  img.seg[i].filesz, "a kernel segment")))
			return r;
	l->entry = img.entry;
	if ((r = place_modules(l, kernel_end(&img), mods)) || (r = put_information(l, mods)) ||
	    (r = mb_launch_put_acpi_tables(l)) || (r = set_entry_state(l)))
		return r;
	return mb_launch_create_aps(l);
}
