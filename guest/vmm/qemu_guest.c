/* Kernels written for `qemu -kernel` (README, "Run your own kernel"): a
 * ".vm" settings file (vm_config.h) or a bare Multiboot image, loaded by
 * mb_launch.c (or, for a bzImage, linux_launch.c) into a VM whose RAM is one
 * GUEST-sealed object, bound at gpa 0 and, past 3 GiB, at 4 GiB (pc_ram.h). */
#include "guest/vmm/vmm.h"
#include "guest/vmm/linux_launch.h"
#include "guest/vmm/mb_launch.h"
#include "guest/vmm/memory_probe.h"
#include "guest/vmm/pc_irq.h"
#include "guest/vmm/com1_input.h"
#include "guest/vmm/pc_msr.h"
#include "guest/vmm/vm_config.h"

/* One such guest runs at a time (guests are launched one after another). */
static struct pc machine;

static void com1_tx(void *ctx, uint8_t byte)
{
	guest_serial_out(ctx, 0, (char)byte);
}

/* The PC machine as the kernel finds it after QEMU's firmware. */
static int64_t machine_init(struct guest *g, const struct vm_config *cfg)
{
	struct pc_config pc = { .ram_below_4g = pc_ram_low(cfg->memory),
				.ram_above_4g = pc_ram_high(cfg->memory), .ncpus = cfg->vcpus,
				.com1_tx = com1_tx, .com1_ctx = g };

	pc_clock_init(bp->tsc_per_ms);
	pc.now_ns = pc_now_ns();
	int r = pc_init(&machine, &pc);
	if (r)
		return r;
	machine.pic_inta_by_vmm = true;        /* at vCPU 0's window: pc_irq.c */
	g->pc = &machine;
	return 0;
}

/* MMIO the hypervisor decoded: the I/O APIC page; anything else (and an
 * access it could not decode) ends the guest, as no device is there. An
 * unmasked entry may deliver at once: drained here. */
void qemu_guest_mmio(struct guest *g, struct sv_run *run)
{
	uint64_t val = run->mmio.data;
	int r = -EINVAL;

	if (run->mmio.size) {
		pc_lock();
		r = pc_mmio(g->pc, run->mmio.gpa, run->mmio.size, run->mmio.is_write, &val);
		pc_deliver_locked(g);
		pc_unlock();
	}
	if (r == 0) {
		if (!run->mmio.is_write)
			run->mmio.data = val;
		return;
	}
	sv_printf("[vmm] %s: %s at gpa 0x%lx (%u bytes): no device there%s\n", g->name,
		  run->mmio.is_write ? "write" : "read", run->mmio.gpa, run->mmio.size,
		  run->mmio.size ? "" : " (instruction not decoded)");
	guest_fail(g, "access to a guest-physical address with no memory or device", 0);
}

/* Port I/O: the machine model answers (and what it raised, a PIC's EOI
 * releasing the next IRQ or COM1's THRE, goes in); its stop requests end
 * the guest. */
void qemu_guest_io(struct guest *g, unsigned vcpu, struct sv_run *run)
{
	uint32_t val = (uint32_t)run->io.data;

	(void)vcpu;
	pc_lock();
	int r = pc_io(g->pc, run->io.port, run->io.size, run->io.is_write, &val, pc_now_ns());
	com1_input_feed_locked(g->pc);          /* a read of RBR made room */
	pc_deliver_locked(g);
	enum pc_stop stop = g->pc->stop;
	pc_unlock();
	if (r == 0 && !run->io.is_write)
		run->io.data = val;
	switch (stop) {
	case PC_RUNNING:
		return;
	case PC_DEBUG_EXIT:
		/* The value is the kernel's verdict, for ./sealvisor to turn
		 * into QEMU's exit status, (value << 1) | 1. */
		sv_printf("[vmm] %s: isa-debug-exit value %u\n", g->name,
			  (unsigned)(g->pc->exit_status >> 1) & 0xff);
		break;
	case PC_RESET:
		sv_printf("[vmm] %s: the guest reset the machine: stopped (no reboot)\n", g->name);
		break;
	case PC_POWEROFF:
		sv_printf("[vmm] %s: the guest powered the machine off\n", g->name);
		break;
	}
	memory_probe_report(g);
	g->done = true;
}

/* MSRs off the hypervisor's allow list: the machine's (pc_msr.h). */
void qemu_guest_msr(struct sv_run *run)
{
	int r = run->msr.is_write ? pc_msr_write(run->msr.index, run->msr.value)
				  : pc_msr_read(run->msr.index, &run->msr.value);

	run->msr.error = r ? 1 : 0;
}

/* Guest RAM is allocated as the guest touches it (acceptance): a size
 * the hypervisor cannot give would fail far from the cause, so refuse it
 * here, naming what is free. The slack is for stage-2 tables and the
 * launch's own pages. */
#define RAM_SLACK (8ul << 20)

static int64_t check_free_memory(const struct guest *g, uint64_t ram)
{
	struct sv_stats st;
	int64_t r = sv_call2(SV_HC_STATS, (uint64_t)&st, 0);

	if (r)
		return r;
	uint64_t have = st.free_pages * 4096;
	if (have >= RAM_SLACK && ram <= have - RAM_SLACK)
		return 0;
	sv_printf("[vmm] %s: memory %lu MiB: the hypervisor has %lu MiB free, so at most %lu MiB "
		  "(give the machine more RAM)\n", g->name, ram >> 20, have >> 20,
		  (have > RAM_SLACK ? have - RAM_SLACK : 0) >> 20);
	return -ENOMEM;
}

/* Low RAM at gpa 0, the rest at 4 GiB from the same object, in regions
 * of at most SV_MEMATTR_MAX_PAGES (VM_FINALIZE gives each GUEST region
 * one attribute bitmap of at most that). Each object page is bound once,
 * so nothing aliases a measured page. */
static int64_t bind_ram(struct guest *g, uint64_t ram)
{
	const uint64_t chunk = SV_MEMATTR_MAX_PAGES * 4096;
	uint64_t low = pc_ram_low(ram), high = pc_ram_high(ram), off = 0;
	int64_t r = sv_call5(SV_HC_VM_SET_REGION, g->vm, 0, low, g->obj, 0);

	for (off = 0; !r && off < high; off += chunk) {
		uint64_t len = high - off < chunk ? high - off : chunk;
		r = sv_call5(SV_HC_VM_SET_REGION, g->vm, PC_RAM_HIGH_BASE + off, len, g->obj, low + off);
	}
	if (r)
		sv_printf("[vmm] %s: binding %lu MiB of RAM (%lu MiB of it from 4 GiB) failed: %ld%s\n",
			  g->name, ram >> 20, high >> 20, (long)r,
			  r == -ENOSPC ? " (more regions than SV_MAX_REGIONS)" : "");
	return r;
}

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
	const struct sv_module *in = NULL;
	if (cfg.com1_input[0] && !(in = vmm_find_module(cfg.com1_input))) {
		sv_printf("[vmm] %s: com1_input '%s' is not among the modules (add 'module = %s' "
			  "to sealvisor.cfg)\n", g->name, cfg.com1_input, cfg.com1_input);
		return -ENOENT;
	}
	com1_input_set(in ? (const uint8_t *)in->gpa : NULL, in ? in->size : 0);
	if (!l.kernel) {
		sv_printf("[vmm] %s: kernel '%s' is not among the modules (add 'module = %s' to "
			  "sealvisor.cfg)\n", g->name, cfg.kernel, cfg.kernel);
		return -ENOENT;
	}
	if (cfg.vcpus > vmm_cpus) {
		sv_printf("[vmm] %s: vcpus = %u, but this VMM runs one vCPU per CPU and has %u\n",
			  g->name, cfg.vcpus, vmm_cpus);
		return -EINVAL;
	}
	g->nr_vcpus = cfg.vcpus;
	if ((r = check_free_memory(g, cfg.memory)) || (r = machine_init(g, &cfg)))
		return r;
	if ((g->obj = sv_call1(SV_HC_MEMOBJ_CREATE, MEMOBJ_ALLOW_SEALING)) < 0)
		return g->obj;
	if ((r = sv_call2(SV_HC_MEMOBJ_ADD_SEALS, g->obj, GUEST_SEALS)) ||
	    (r = sv_call2(SV_HC_MEMOBJ_SET_SIZE, g->obj, cfg.memory)))
		return r;
	if ((g->vm = sv_call0(SV_HC_VM_CREATE)) < 0)
		return g->vm;
	if ((r = bind_ram(g, cfg.memory)) ||
	    (r = sv_call2(SV_HC_VM_SET_MSR_POLICY, g->vm, SV_MSR_POLICY_EXIT)))
		return r;
	l.vm = g->vm;
	l.ram = cfg.memory;
	l.cfg = &cfg;
	l.scratch = (void *)scratch;
	/* As QEMU: a bzImage ("HdrS") is started by the Linux boot protocol. */
	bool is_linux = lx_launch_is_bzimage(l.kernel);
	if ((r = is_linux ? lx_launch_load(&l) : mb_launch_load(&l))) {
		sv_printf("[vmm] %s: %s\n", g->name, l.why);
		return r;
	}
	sv_printf("[vmm] %s: %s kernel '%s', entry 0x%lx, %lu MiB, %u vCPU(s), %u initrd(s)\n",
		  g->name, is_linux ? "Linux" : "Multiboot", l.kernel->name, l.entry, cfg.memory >> 20,
		  cfg.vcpus, cfg.nr_initrds);
	if ((r = sv_call1(SV_HC_VM_FINALIZE, g->vm)))
		return r;
	return sv_call2(SV_HC_VM_GET_MEASUREMENT, g->vm, (uint64_t)g->measurement);
}
/* A Multiboot header or a bzImage's "HdrS" wins over ELF64 (our own
 * kernels have neither): such an image is started as QEMU's -kernel
 * starts it. */
bool qemu_guest_wanted(const struct sv_module *m)
{
	return is_settings_file(m) || mb_launch_is_multiboot(m) || lx_launch_is_bzimage(m);
}
