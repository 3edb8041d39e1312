/* Kernels written for `qemu -kernel` (README, "Run your own kernel"): a
 * ".vm" settings file (vm_config.h) or a bare Multiboot image, loaded by
 * mb_launch.c into a VM whose RAM is one GUEST-sealed object at gpa 0. */
#include "guest/vmm/vmm.h"
#include "guest/vmm/mb_launch.h"
#include "guest/vmm/vm_config.h"

static bool is_settings_file(const struct sv_module *m)
{
	size_t n = strlen(m->name);
	return n > 3 && !strcmp(m->name + n - 3, ".vm");
}

/* A guest described by a settings file (guest/vmm/vm_config.h), or a bare
 * Multiboot kernel with the defaults; started as QEMU starts -kernel. */
int64_t qemu_guest_create(struct guest *g, const struct sv_module *m)
{
	static struct vm_config cfg;
	static struct mb_launch l;
	char err[VMCFG_ERR_MAX];
	int64_t r;

	memset(&l, 0, sizeof(l));
	if (is_settings_file(m)) {
		if (vm_config_parse(&cfg, m->name, (const char *)m->gpa, m->size, err, sizeof(err))) {
			sv_printf("[vmm] %s\n", err);
			return -EINVAL;
		}
	} else {
		vm_config_defaults(&cfg);
		sv_snprintf(cfg.kernel, sizeof(cfg.kernel), "%s", m->name);   /* both 64 bytes */
	}
	l.kernel = vmm_find_module(cfg.kernel);
	for (unsigned i = 0; i < cfg.nr_initrds; i++)
		if (!(l.initrd[i] = vmm_find_module(cfg.initrd[i]))) {
			sv_printf("[vmm] %s: initrd '%s' is not among the modules (add 'module = %s' "
				  "to sealvisor.cfg)\n", g->name, cfg.initrd[i], cfg.initrd[i]);
			return -ENOENT;
		}
	if (!l.kernel) {
		sv_printf("[vmm] %s: kernel '%s' is not among the modules (add 'module = %s' to "
			  "sealvisor.cfg)\n", g->name, cfg.kernel, cfg.kernel);
		return -ENOENT;
	}
	if (cfg.vcpus > 1) {
		sv_printf("[vmm] %s: vcpus = %u: application processors need INIT/SIPI, which "
			  "this VMM cannot give yet\n", g->name, cfg.vcpus);
		return -EOPNOTSUPP;
	}
	g->qemu_like = true;
	g->nr_vcpus = 1;
	if ((g->obj = sv_call1(SV_HC_MEMOBJ_CREATE, MEMOBJ_ALLOW_SEALING)) < 0)
		return g->obj;
	if ((r = sv_call2(SV_HC_MEMOBJ_ADD_SEALS, g->obj, GUEST_SEALS)) ||
	    (r = sv_call2(SV_HC_MEMOBJ_SET_SIZE, g->obj, cfg.memory)))
		return r;
	if ((g->vm = sv_call0(SV_HC_VM_CREATE)) < 0)
		return g->vm;
	if ((r = sv_call5(SV_HC_VM_SET_REGION, g->vm, 0, cfg.memory, g->obj, 0)))
		return r;
	l.vm = g->vm;
	l.ram = cfg.memory;
	l.cfg = &cfg;
	l.scratch = (void *)scratch;
	if ((r = mb_launch_load(&l))) {
		sv_printf("[vmm] %s: %s\n", g->name, l.why);
		return r;
	}
	sv_printf("[vmm] %s: Multiboot kernel '%s', entry 0x%lx, %lu MiB, %u initrd(s)\n", g->name,
		  l.kernel->name, l.entry, cfg.memory >> 20, cfg.nr_initrds);
	if ((r = sv_call1(SV_HC_VM_FINALIZE, g->vm)))
		return r;
	return sv_call2(SV_HC_VM_GET_MEASUREMENT, g->vm, (uint64_t)g->measurement);
}
/* A Multiboot header wins over ELF64 (our own kernels have none): such
 * an image is started as QEMU's -kernel starts it. */
bool qemu_guest_wanted(const struct sv_module *m)
{
	return is_settings_file(m) || mb_launch_is_multiboot(m);
}
