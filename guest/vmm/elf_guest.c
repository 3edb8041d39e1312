/* Our ELF64 test kernels, launched in the layout of guest/vmm/layout.h,
 * which the verifier tests/tools/sv-measure recomputes. */
#include "guest/vmm/vmm.h"

/* Page tables for the guest (layout.h), built in free memory above the
 * secondaries' stacks. */
static void *guest_page_tables(void)
{
	uint64_t *pt = (uint64_t *)scratch;

	layout_page_tables(pt, PT_GPA);
	return pt;
}

static int64_t load(struct guest *g, const struct sv_module *m, uint64_t *entry)
{
	const void *img = (const void *)m->gpa;
	int64_t r = elf64_check(img, m->size);
	if (r)
		return r;
	const struct elf64_phdr *ph = elf64_phdrs(img);
	for (unsigned i = 0; i < ((const struct elf64_ehdr *)img)->phnum && !r; i++)
		if (ph[i].type == ELF_PT_LOAD && ph[i].filesz)
			r = sv_call4(SV_HC_VM_POPULATE, g->vm, ph[i].paddr,
				     (uint64_t)img + ph[i].offset, ph[i].filesz);
	if (!r)
		r = sv_call4(SV_HC_VM_POPULATE, g->vm, PT_GPA, (uint64_t)guest_page_tables(), PT_SIZE);
	*entry = ((const struct elf64_ehdr *)img)->entry;
	return r;
}

/* A 32- or 16-bit start (the image's start-mode note): the whole state
 * from layout.h, then read back: GET must return exactly what was set. */
static int64_t set_start_state(struct guest *g, unsigned i, uint64_t entry, uint32_t mode)
{
	static struct sv_regs regs, back;
	static struct sv_sregs sregs, sback;
	int64_t r;

	layout_vcpu_state(entry, i, GUEST_MEM, mode, &regs, &sregs);
	if ((r = sv_call3(SV_HC_VCPU_SET_SREGS, g->vm, i, (uint64_t)&sregs)) ||
	    (r = sv_call3(SV_HC_VCPU_SET_REGS, g->vm, i, (uint64_t)&regs)) ||
	    (r = sv_call3(SV_HC_VCPU_GET_REGS, g->vm, i, (uint64_t)&back)) ||
	    (r = sv_call3(SV_HC_VCPU_GET_SREGS, g->vm, i, (uint64_t)&sback)))
		return r;
	if (memcmp(&regs, &back, sizeof(regs)) || memcmp(&sregs, &sback, sizeof(sregs))) {
		sv_printf("[vmm] %s: vCPU %u: GET_(S)REGS differ from what was set\n", g->name, i);
		return -EIO;
	}
	sv_printf("[vmm] %s: vCPU %u starts in %u-bit mode\n", g->name, i, mode);
	return 0;
}

/* vCPU i waits for vCPU 0's INIT and SIPI, as an application processor
 * does; GET_MP_STATE must say so. */
static int64_t wait_for_sipi(struct guest *g, unsigned i)
{
	int64_t r = sv_call3(SV_HC_VCPU_SET_MP_STATE, g->vm, i, SV_MP_STATE_WAIT_SIPI);

	if (r)
		return r;
	r = sv_call2(SV_HC_VCPU_GET_MP_STATE, g->vm, i);
	if (r != SV_MP_STATE_WAIT_SIPI)
		return r < 0 ? r : -EIO;
	sv_printf("[vmm] %s: vCPU %u waits for INIT/SIPI\n", g->name, i);
	return 0;
}

/* The image's CPUID note, if any, as the VM's CPUID table. */
static int64_t set_cpuid(struct guest *g, const struct sv_module *m)
{
	uint32_t len;
	const void *t = elf64_note((const void *)m->gpa, m->size, SV_NOTE_CPUID, &len);

	if (!t)
		return 0;
	if (len % sizeof(struct sv_cpuid_entry))
		return -EINVAL;
	sv_printf("[vmm] %s: sets a CPUID table of %u entries\n", g->name,
		  len / (unsigned)sizeof(struct sv_cpuid_entry));
	return sv_call3(SV_HC_VM_SET_CPUID, g->vm, (uint64_t)t, len / sizeof(struct sv_cpuid_entry));
}

/* The vCPUs are part of the launch: the hypervisor takes them only before
 * VM_FINALIZE and measures their initial registers. */
static int64_t create_vcpus(struct guest *g, const struct sv_module *m, uint64_t entry)
{
	uint32_t mode = elf64_start_mode((const void *)m->gpa, m->size);
	int64_t r = 0;

	if (mode != SV_START_64 && mode != SV_START_32 && mode != SV_START_16) {
		sv_printf("[vmm] %s: start mode %u: this VMM starts 64, 32 or 16\n", g->name, mode);
		return -EINVAL;
	}

	g->nr_vcpus = elf64_vcpus((const void *)m->gpa, m->size);
	if (g->nr_vcpus > vmm_cpus) {
		sv_printf("[vmm] %s: wants %u vCPUs, this VMM runs %u\n", g->name, g->nr_vcpus,
			  vmm_cpus);
		return -EINVAL;
	}
	uint32_t ap = elf64_ap_start((const void *)m->gpa, m->size);
	if (ap != SV_AP_START_RUN && ap != SV_AP_START_SIPI) {
		sv_printf("[vmm] %s: AP start %u: this VMM knows run (0) and SIPI (1)\n", g->name, ap);
		return -EINVAL;
	}
	for (unsigned i = 0; i < g->nr_vcpus && !r; i++) {
		struct sv_vcpu_regs regs = layout_vcpu_regs(entry, i, GUEST_MEM, PT_GPA);
		r = sv_call3(SV_HC_VCPU_CREATE, g->vm, i, (uint64_t)&regs);
		if (!r && mode != SV_START_64)
			r = set_start_state(g, i, entry, mode);
		if (!r && i && ap == SV_AP_START_SIPI)
			r = wait_for_sipi(g, i);
	}
	return r;
}

/* The image's MSR policy note (layout.h): GP, the default, needs no call. */
static int64_t set_msr_policy(struct guest *g, const struct sv_module *m)
{
	uint32_t policy = elf64_note_u32((const void *)m->gpa, m->size, SV_NOTE_MSR_POLICY,
					 SV_MSR_POLICY_GP);

	return policy == SV_MSR_POLICY_GP ? 0 : sv_call2(SV_HC_VM_SET_MSR_POLICY, g->vm, policy);
}

int64_t elf_guest_create(struct guest *g, const struct sv_module *m)
{
	uint64_t entry = 0;
	int64_t r;

	if ((g->obj = sv_call1(SV_HC_MEMOBJ_CREATE, MEMOBJ_ALLOW_SEALING)) < 0)
		return g->obj;
	if ((r = sv_call2(SV_HC_MEMOBJ_ADD_SEALS, g->obj, GUEST_SEALS)) ||
	    (r = sv_call2(SV_HC_MEMOBJ_SET_SIZE, g->obj, GUEST_MEM)) ||
	    (r = sv_call4(SV_HC_MEMOBJ_FALLOCATE, g->obj, 0, GUEST_EXTENTS, GUEST_MEM - GUEST_EXTENTS)))
		return r;
	if ((g->vm = sv_call0(SV_HC_VM_CREATE)) < 0)
		return g->vm;
	if ((r = sv_call5(SV_HC_VM_SET_REGION, g->vm, GUEST_REGION_GPA, GUEST_MEM, g->obj,
			  GUEST_REGION_OFFSET)) ||
	    (r = load(g, m, &entry)) || (r = set_cpuid(g, m)) || (r = create_vcpus(g, m, entry)) ||
	    (r = set_msr_policy(g, m)) || (r = sv_call1(SV_HC_VM_FINALIZE, g->vm)))
		return r;
	return sv_call2(SV_HC_VM_GET_MEASUREMENT, g->vm, (uint64_t)g->measurement);
}
