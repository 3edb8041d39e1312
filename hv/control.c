/*
 * Starting the control partition: its RAM at gpa 0, its ELF image, its
 * page tables, the boot parameters and the guest images it will launch,
 * then vCPU 0 in 64-bit mode at the image's entry with RDI = the boot
 * parameters.
 *
 * Its guest-physical layout:
 *   0x1000  struct sv_boot_params
 *   0x2000  page tables (PML4, PDPT, PD: the first 1 GiB, 2 MiB pages)
 *   1 MiB   the image (PT_LOAD segments at their physical addresses)
 *   then    the guest images, page aligned
 *   top     the stack, growing down
 */
#include <sealvisor/elf64.h>
#include <sealvisor/errno.h>
#include "hv/control.h"
#include "hv/cpu_work.h"
#include "lib/errno_name.h"
#include "lib/fmt.h"
#include "hv/log.h"
#include "hv/run.h"
#include "lib/string.h"
#include "hv/vm.h"
#include "mm/phys.h"

#define BOOT_PARAMS    0x1000UL
#define PT_BASE        0x2000UL
#define IMAGE_MIN      0x100000UL
#define STACK_RESERVE  0x100000UL

static void build_page_tables(struct vm *vm)
{
	uint64_t *pml4 = vm_guest_ptr(vm, PT_BASE, 3 * PAGE_SIZE);
	uint64_t *pdpt = pml4 + 512, *pd = pml4 + 1024;

	pml4[0] = (PT_BASE + PAGE_SIZE) | 3;
	pdpt[0] = (PT_BASE + 2 * PAGE_SIZE) | 3;
	for (uint64_t i = 0; i < 512; i++)
		pd[i] = (i << 21) | 0x83;           /* present, writable, 2 MiB */
}

static int load_image(struct vm *vm, const struct boot_module *m, uint64_t *entry, uint64_t *end)
{
	const void *img = phys_to_virt(m->base);
	int err = elf64_check(img, m->size);

	if (err) {
		log_err("control: '%s' is not an x86-64 ELF executable\n", m->name);
		return err;
	}
	const struct elf64_phdr *ph = elf64_phdrs(img);
	*end = IMAGE_MIN;
	for (unsigned i = 0; i < ((const struct elf64_ehdr *)img)->phnum; i++) {
		if (ph[i].type != ELF_PT_LOAD)
			continue;
		void *dst = vm_guest_ptr(vm, ph[i].paddr, ph[i].memsz);
		if (ph[i].paddr < IMAGE_MIN || !dst ||
		    ph[i].paddr + ph[i].memsz > vm->ram_size - STACK_RESERVE) {
			log_err("control: '%s' segment at 0x%lx (+0x%lx) is outside 0x%lx..0x%lx\n",
				m->name, ph[i].paddr, ph[i].memsz, IMAGE_MIN,
				vm->ram_size - STACK_RESERVE);
			return -ENOEXEC;
		}
		memcpy(dst, (const uint8_t *)img + ph[i].offset, ph[i].filesz);
		if (ph[i].paddr + ph[i].memsz > *end)
			*end = ph[i].paddr + ph[i].memsz;
	}
	*entry = ((const struct elf64_ehdr *)img)->entry;
	return 0;
}

static int copy_modules(struct vm *vm, const struct boot_info *bi, uint64_t start,
			struct sv_boot_params *bp)
{
	uint64_t gpa = (start + PAGE_SIZE - 1) & PAGE_MASK;

	for (size_t i = 1; i < bi->nr_modules; i++) {
		const struct boot_module *m = &bi->modules[i];
		void *dst = vm_guest_ptr(vm, gpa, m->size);
		if (!dst || gpa + m->size > vm->ram_size - STACK_RESERVE) {
			log_err("control: guest image '%s' (%lu bytes) does not fit in its %lu MiB\n",
				m->name, m->size, vm->ram_size >> 20);
			return -ENOMEM;
		}
		memcpy(dst, phys_to_virt(m->base), m->size);
		struct sv_module *sm = &bp->modules[bp->nr_modules++];
		sv_snprintf(sm->name, sizeof(sm->name), "%s", m->name);
		sm->gpa = gpa;
		sm->size = m->size;
		bp->module_kind[bp->nr_modules - 1] = m->is_data ? SV_MODULE_DATA : SV_MODULE_GUEST;
		gpa = (gpa + m->size + PAGE_SIZE - 1) & PAGE_MASK;
	}
	bp->free_start = gpa;
	return 0;
}

int control_start(const struct boot_info *bi)
{
	struct vm *vm;
	uint64_t entry, end;

	if (!bi->config.control[0] || bi->nr_modules == 0)
		return -ENOENT;
	int err = vm_create_control(CONTROL_RAM, &vm);
	if (err) {
		log_err("control: cannot create the control partition: %s (%d)\n", errno_name(err), err);
		return err;
	}
	err = load_image(vm, &bi->modules[0], &entry, &end);
	struct sv_boot_params *bp = vm_guest_ptr(vm, BOOT_PARAMS, sizeof(*bp));
	*bp = (struct sv_boot_params){ .magic = SV_BOOT_MAGIC, .mem_size = vm->ram_size,
				       .vendor = virt->vendor, .nr_cpus = hv_nr_cpus,
				       .tsc_per_ms = bi->tsc_per_ms };
	if (!err)
		err = copy_modules(vm, bi, end, bp);
	if (err)
		return err;
	build_page_tables(vm);
	struct sv_vcpu_regs regs = { .rip = entry, .rsp = vm->ram_size - 8, .rdi = BOOT_PARAMS,
				     .cr3 = PT_BASE };
	if ((err = vcpu_create(vm, 0, &regs)))
		return err;
	log_info("control: '%s' loaded (entry 0x%lx, %lu MiB, %u guest images); starting it\n",
		 bi->modules[0].name, entry, vm->ram_size >> 20, bp->nr_modules);
	control_run(vm, 0);
}
