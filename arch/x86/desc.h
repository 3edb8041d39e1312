#ifndef ARCH_X86_DESC_H
#define ARCH_X86_DESC_H

#include <stddef.h>
#include <stdint.h>

#define SEL_CODE64 0x08
#define SEL_DATA   0x10
#define SEL_TSS    0x18

/* IST slots: each of these exceptions runs on its own known-good stack. */
#define IST_DF  1
#define IST_NMI 2
#define IST_MC  3

struct percpu;

/* Loads this CPU's GDT and TSS, built in mem (desc_size() bytes; NULL for
 * the boot CPU's static one), and installs p as its per-CPU area. */
void desc_init_cpu(struct percpu *p, void *mem);
size_t desc_size(void);
uint64_t desc_tss_base(void);   /* the VMX host state needs it */
/* True if [addr, addr+8) lies on one of the hypervisor's own stacks. */
int arch_on_known_stack(uint64_t addr);

#endif
