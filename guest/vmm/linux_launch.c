/* bzImage launches (guest/vmm/linux_launch.h). */
#include <sealvisor/errno.h>
#include "guest/lib/sv.h"
#include "guest/vmm/linux_boot.h"
#include "guest/vmm/linux_launch.h"

bool lx_launch_is_bzimage(const struct sv_module *m)
{
	return lx_is_bzimage((const void *)m->gpa, m->size);
}

/* The same machine as a Multiboot kernel's (mb_launch.h, pc_ram.h): low
 * RAM, the EBDA hole, the firmware area with the ACPI tables, RAM from
 * 1 MiB, and from 4 GiB when there is more than 3 GiB. */
static unsigned e820_map(const struct mb_launch *l, struct lx_e820 *map)
{
	struct pc_ram_range ram[PC_RAM_MAP_MAX];
	unsigned n = pc_ram_map(l->ram, ram);

	for (unsigned i = 0; i < n; i++)
		map[i] = (struct lx_e820){ ram[i].base, ram[i].length, ram[i].type };
	return n;
}

/* boot.rst, "64-bit Boot Protocol": long mode, paging on with the range
 * the loader set up identity mapped, a GDT with __BOOT_CS (0x10) and
 * __BOOT_DS (0x18), interrupts off, RSI the boot_params. */
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
	regs.rsi = LX_ZERO_PAGE_GPA;
	regs.rip = l->entry;
	regs.rflags = 2;
	regs.rsp = LX_ZERO_PAGE_GPA;     /* the kernel sets its own at once */
	sregs.cs = (struct sv_segment){ 0, 0xffffffff, LX_BOOT_CS, 0xa9b };
	sregs.ds = (struct sv_segment){ 0, 0xffffffff, LX_BOOT_DS, 0xc93 };
	sregs.es = sregs.fs = sregs.gs = sregs.ss = sregs.ds;
	sregs.tr = (struct sv_segment){ 0, 0x67, 0, 0x8b };
	sregs.gdt = (struct sv_dtable){ .base = LX_GDT_GPA, .limit = LX_BOOT_DS + 7 };
	sregs.cr0 = 0x80000031;          /* PG, NE, ET, PE */
	sregs.cr3 = LX_PT_GPA;
	sregs.cr4 = 0x20;                /* PAE */
	sregs.efer = 0x500;              /* LME, LMA */
	if ((r = sv_call3(SV_HC_VCPU_SET_SREGS, l->vm, 0, (uint64_t)&sregs)) ||
	    (r = sv_call3(SV_HC_VCPU_SET_REGS, l->vm, 0, (uint64_t)&regs)))
		return mb_launch_refuse(l, r, "setting the 64-bit entry state failed");
	return 0;
}

static int64_t put_low_block(struct mb_launch *l, const struct lx_image *li, uint64_t isize)
{
	struct lx_e820 map[PC_RAM_MAP_MAX];
	unsigned n = e820_map(l, map);
	int r = lx_build_low(l->scratch, (const void *)l->kernel->gpa, li, l->cfg->append, isize,
			     map, n, MB_FIRMWARE_GPA);

	if (r == -E2BIG)
		return mb_launch_refuse(l, r, "append: %lu characters, the kernel takes at most %u",
					(unsigned long)strlen(l->cfg->append), li->cmdline_size);
	if (r)
		return mb_launch_refuse(l, r, "boot_params could not be built");
	return mb_launch_populate(l, LX_GDT_GPA, (uint64_t)l->scratch, LX_LOW_SIZE,
				  "boot_params and the page tables");
}

int64_t lx_launch_load(struct mb_launch *l)
{
	static struct lx_image li;
	struct lx_error err;
	const struct sv_module *initrd = l->cfg->nr_initrds ? l->initrd[0] : 0;
	uint64_t isize = initrd ? initrd->size : 0;
	int64_t r;

	if (l->cfg->nr_initrds > 1)
		return mb_launch_refuse(l, -EINVAL, "initrd: %u files, a bzImage takes one "
					"(concatenate cpio archives)", l->cfg->nr_initrds);
	/* The kernel and the initrd go below 4 GiB (the entry's page tables
	 * map only that), as QEMU places them. */
	r = lx_parse((const void *)l->kernel->gpa, l->kernel->size, pc_ram_low(l->ram), isize, &li,
		     &err);
	if (r)
		return mb_launch_refuse(l, r, "bzImage '%s' refused: %s = 0x%lx: %s", l->kernel->name,
					err.field, err.value, err.why);
	l->entry = li.entry;
	if ((r = mb_launch_populate(l, li.load_gpa, l->kernel->gpa + li.kernel_offset,
				    li.kernel_size, "the protected-mode kernel")) ||
	    (initrd && (r = mb_launch_populate(l, li.initrd_gpa, initrd->gpa, isize, "the initrd"))) ||
	    (r = put_low_block(l, &li, isize)) || (r = mb_launch_put_acpi_tables(l)) ||
	    (r = set_entry_state(l)))
		return r;
	return mb_launch_create_aps(l);
}
