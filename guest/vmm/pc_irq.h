/* The PC machine's clock, lock and interrupt delivery (pc_irq.c). */
#ifndef GUEST_VMM_PC_IRQ_H
#define GUEST_VMM_PC_IRQ_H

#include "guest/vmm/pc_machine.h"

struct guest;
struct sv_run;

void pc_clock_init(uint64_t tsc_per_ms);
uint64_t pc_now_ns(void);
/* Around every use of the guest's struct pc. */
void pc_lock(void);
void pc_unlock(void);
/* Under pc_lock: every record the models made, into the hypercalls. */
void pc_deliver_locked(struct guest *g);
/* Before each VCPU_RUN: tick, deliver, and vCPU 0's deadline. */
void pc_before_run(struct guest *g, unsigned vcpu, struct sv_run *run);
/* SV_EXIT_EOI: a guest vCPU's EOI of a level-triggered vector. */
void pc_eoi_exit(struct guest *g, uint8_t vector);
/* vCPU 0's interrupt window: the 8259's INTA, its vector injected. */
void pc_window(struct guest *g);

#endif
