/* A fake virtualization backend for host tests: it records what generic
 * code asks of it (flushes, entries) and plays back scripted exits. */
#ifndef TESTS_FAKE_VIRT_H
#define TESTS_FAKE_VIRT_H

#include "hv/virt.h"

enum { EV_KICK = 1, EV_ENTRY_FLUSH, EV_ENTRY, EV_INJECT_GP, EV_INVEPT, EV_INJECT_OTHER,
       EV_INJECT_IRQ, EV_IRQ_WINDOW, EV_INJECT_NMI, EV_NMI_WINDOW };

struct fake_event {
	int type;
	unsigned vm;           /* or the CPU, for EV_KICK */
	uint64_t free_pages;   /* page allocator free count at the time */
};

/* Threads stand in for CPUs: each says which one it is. */
void fake_set_cpu(unsigned id);
extern volatile int fake_kicked[64];

extern struct fake_event fake_events[256];
extern int fake_nevents;
extern struct vm_exit fake_exits[16];   /* what the next runs return, in order */
extern int fake_nexits, fake_next_exit;

/* TLB tags the fake hands out (like ASIDs): VM slots from nr_tags - 1 on
 * share tag 1. */
extern unsigned fake_nr_tags;
/* The last exception inject_exception was asked for. */
struct fake_exception { uint8_t vector; bool has_error; uint32_t error; };
extern struct fake_exception fake_last_exception;
extern uint64_t fake_cr4;             /* what get_cr4 answers */
extern uint64_t fake_cr0;             /* what get_cr0 answers (long mode) */
/* What get_code answers (RIP: the vCPU's fake RIP). */
extern struct guest_code fake_code;
extern uint64_t fake_last_invept;     /* EPTP of the last vmx_invept_single */
/* What the fake's vcpu_set_state returns (0: it loads the state). */
extern int fake_set_state_err;
/* The states vcpu_set_state loaded since fake_reset: how many, the last. */
extern int fake_nset_state;
extern struct sv_regs fake_last_regs;
extern struct sv_sregs fake_last_sregs;

/* The guest copies of MSRs (msr_get/msr_set), per vCPU. */
struct fake_msr { struct vcpu *v; uint32_t index; uint64_t value; };
#define FAKE_MAX_MSRS (SV_MAX_VMS * SV_MAX_VCPUS * 16)
extern struct fake_msr fake_msrs[FAKE_MAX_MSRS];
extern int fake_nmsrs;
/* A CPU with IA32_SPEC_CTRL (false: like one without IBRS). */
extern bool fake_has_spec_ctrl;
/* Whether the fake guest can take an interrupt (RFLAGS.IF, no shadow);
 * the vectors injected since fake_reset, in order. */
extern bool fake_irq_allowed;
extern int fake_injected[16], fake_ninjected;

/* The TSC deadline of the last preemption_arm, and how many there were. */
extern uint64_t fake_armed_deadline;
extern int fake_narmed;
/* NMIs: the guest is in its NMI handler (set by each injection, cleared
 * by fake_nmi_iret); it is in an STI/MOV SS shadow; NMIs injected since
 * fake_reset. */
extern bool fake_nmi_masked, fake_shadow;
extern int fake_nmis_injected;
void fake_nmi_iret(void);

void fake_reset(void);
/* Creates vCPU 0 (if need be) and finalizes: a GUEST object's pages can
 * be punched only once its VM's launch is measured. */
void fake_launch(struct vm *vm);
int fake_count(int type);

#endif
