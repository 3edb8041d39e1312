/*
 * The control partition's VMM (guest/vmm/): a small, untrusted VMM. For
 * every guest image it was given it creates a GUEST-sealed memory object,
 * binds it, loads the guest into it, creates the vCPUs, finalizes (all of
 * that is measured), runs the vCPUs and serves their exits, and reports;
 * then it shuts the machine down with the overall result.
 *
 * Its files, by job:
 *   main.c      start-up, the control vCPUs, the launch of each guest
 *   elf_guest.c our ELF64 test kernels, in the launch layout of layout.h
 *   qemu_guest.c kernels written for `qemu -kernel`: settings (vm_config.c),
 *               Multiboot loading (mb_launch.c, multiboot.c), Linux
 *               bzImages (linux_launch.c, linux_boot.c)
 *   run.c       the run loop: one guest vCPU per control vCPU, its exits
 *   memory_probe.c the VMM's refused tries at a running guest's memory
 *   pc_msr.c    the PC machine's MSRs beyond the hypervisor's allow list
 *   pc_irq.c    the PC models' clock, lock and interrupts for such a guest:
 *               ticks, deliveries (VCPU_INTERRUPT), vCPU 0's exit_at_tsc
 *   memattr.c   a guest's shared memory and conversions (MAP_GPA)
 *   cc_demo.c   the confidential-computing demonstration's ring, nonce
 *               and private-buffer probe (cc_ring.h)
 *   services.c  what the test kernels ask of their VMM (punch, hand-off,
 *               migration, MSR exits) and the VMM's own-state checks
 *   bench_port.c the benchmark's port-I/O exit (tests/guests/bench-guest.c)
 *
 * It has one vCPU per physical CPU. vCPU 0 runs the show and guest vCPU 0;
 * guest vCPU k runs on control vCPU k, which waits for such a job.
 */
#ifndef GUEST_VMM_VMM_H
#define GUEST_VMM_VMM_H

#include <sealvisor/elf64.h>
#include "guest/vmm/layout.h"
#include "guest/lib/kernel.h"
#include "guest/lib/sv.h"
#include "guest/lib/xmm.h"

/* The VMM's own XMM0-15 pattern (guest/lib/xmm.h). */
#define XMM_SEED 0xc0de0000c0de0000UL
#define STACK_SIZE (64 * 1024)

struct guest {
	char name[32];
	int64_t obj, vm;
	int64_t shared_obj;           /* its shared memory (memattr.c), or -1 */
	unsigned nr_vcpus;
	char line[SV_MAX_VCPUS][160];
	unsigned col[SV_MAX_VCPUS];
	volatile bool done, failed;
	bool expect_preempt;
	/* A kernel for `qemu -kernel` (qemu_guest.c): its ports go to the
	 * PC machine model, and isa-debug-exit's value is its verdict. */
	struct pc *pc;
	unsigned preemptions, punches;
	unsigned probes;                 /* memory_probe.c: refused tries */
	int status;
	char why[96];
	uint8_t measurement[SV_MEASUREMENT_SIZE];
	uint64_t mmio_regs[TEST_MMIO_REGS];   /* layout.h's test device */
	uint32_t bench_port_reads;            /* bench_port.c */
};

enum { JOB_IDLE, JOB_READY, JOB_DONE };

/* Work for control vCPU k: run vCPU `vcpu` of guest g until it is done. */
struct job {
	volatile int state;
	struct guest *g;
	unsigned vcpu;
};

enum result { PASSED, FAILED, SKIPPED };

extern struct sv_boot_params *bp;
extern uint64_t scratch;              /* free control-partition memory */
extern struct job jobs[SV_MAX_VCPUS];
/* Control vCPUs this VMM uses: one per CPU, at most SV_MAX_VCPUS (the
 * most vCPUs a guest can have, so more would never get a job). */
extern unsigned vmm_cpus;

/* main.c */
void guest_fail(struct guest *g, const char *why, int64_t err);
void guest_set_name(struct guest *g, const char *path);
uint64_t guest_vm_pages(int64_t vm);
enum result guest_launch(const struct sv_module *m, struct guest *g);
const struct sv_module *vmm_find_helper(void);
const struct sv_module *vmm_find_module(const char *name);

/* elf_guest.c, qemu_guest.c: build and finalize the VM (0 or -errno). */
int64_t elf_guest_create(struct guest *g, const struct sv_module *m);
bool qemu_guest_wanted(const struct sv_module *m);
int64_t qemu_guest_create(struct guest *g, const struct sv_module *m);
void qemu_guest_io(struct guest *g, unsigned vcpu, struct sv_run *run);
void qemu_guest_mmio(struct guest *g, struct sv_run *run);
void qemu_guest_msr(struct sv_run *run);

/* run.c */
void guest_serial_out(struct guest *g, unsigned vcpu, char c);
void run_vcpu(struct guest *g, unsigned vcpu);
void run_guest(struct guest *g);

/* memattr.c */
void service_map_gpa(struct guest *g, struct sv_run *run);
void service_memory_fault(struct guest *g, struct sv_run *run);
void service_ring_doorbell(struct guest *g, uint64_t page);

/* bench_port.c */
void bench_port_io(struct guest *g, struct sv_run *run);

/* cc_demo.c: the guest's port writes (cc_ring.h), page = a gpa >> 12. */
void cc_demo_doorbell(struct guest *g, uint64_t page);
void cc_demo_probe(struct guest *g, uint64_t page);

/* services.c */
void service_punch(struct guest *g, struct sv_run *run);
void service_msr_exit(struct guest *g, struct sv_run *run);
void service_mmio(struct guest *g, struct sv_run *run);
void service_handoff(struct guest *g, struct sv_run *run);
bool service_migrate(struct guest *g, unsigned vcpu, struct sv_run *run);
void own_state_init(void);
void check_own_state(struct guest *g);

#endif
