/* bzImage launches (guest/vmm/linux_launch.h). */
#include <sealvisor/errno.h>
#include "guest/lib/sv.h"
#include "guest/vmm/linux_boot.h"
#include "guest/vmm/linux_launch.h"

bool lx_launch_is_bzimage(const struct sv_module *m)
{
	return lx_is_bzimage((const void *)m->gpa, m->size);
}

/* The same machine as a Multiboot kernel's (mb_launch.h): low RAM, the
 * EBDA hole, the firmware area with the ACPI tables, RAM from 1 MiB. */
static unsigned e820_map(const struct mb_launch *l, struct lx_e820 *map)
{
	map[0] = (struct lx_e820){ 0, MB_LOW_RAM_END, LX_E820_RAM };
	map[1] = (struct lx_e820){ MB_LOW_RAM_END, 0xa0000 - MB_LOW_RAM_END, LX_E820_RESERVED };
	map[2] = (struct lx_e820){ MB_FIRMWARE_GPA, 0x100000 - MB_FIRMWARE_GPA, LX_E820_RESERVED };
	map[3] = (struct lx_e820){ 0x100000, l->ram - 0x100000, LX_E820_RAM };
	return 4;
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
	struct lx_e820 map[4];
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

	if (l->ram > MB_MAX_RAM)
		return mb_launch_refuse(l, -EINVAL, "memory %lu MiB: at most %lu MiB", l->ram >> 20,
					(unsigned long)(MB_MAX_RAM >> 20));
	if (l->cfg->nr_initrds > 1)
		return mb_launch_refuse(l, -EINVAL, "initrd: %u files, a bzImage takes one "
					"(concatenate cpio archives)", l->cfg->nr_initrds);
	r = lx_parse((const void *)l->kernel->gpa, l->kernel->size, l->ram, isize, &li, &err);
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
