/*
 * The demo VMM's launch layout: everything about a guest's launch that is
 * not in its ELF image. The VMM (guest/vmm/elf_guest.c) builds launches from
 * it and the verifier (tests/tools/sv-measure) recomputes their launch
 * measurement from it, so the two can only disagree if one of them stops
 * including this header. Header-only; compiles freestanding (partition
 * build) and on the host.
 *
 * A launch of image IMG under this layout is, in order:
 *   one GUEST-sealed object of GUEST_MEM bytes, seals GUEST_SEALS (nothing
 *   else is ever added), bound at gpa GUEST_REGION_GPA, object offset
 *   GUEST_REGION_OFFSET, size GUEST_MEM;
 *   VM_POPULATE of each PT_LOAD segment with filesz > 0, in program-header
 *   order: gpa = p_paddr, the filesz file bytes at p_offset;
 *   VM_POPULATE of the page tables (layout_page_tables) at PT_GPA, PT_SIZE;
 *   VM_SET_CPUID with the image's CPUID note, if it has one;
 *   vCPUs 0 .. n-1 (n from the image's vCPU note) with layout_vcpu_regs,
 *   each, if the image's start-mode note says 32 or 16, followed by
 *   VCPU_SET_SREGS and VCPU_SET_REGS with layout_vcpu_state; and, for
 *   i > 0 if the image's AP start note says SV_AP_START_SIPI, then
 *   VCPU_SET_MP_STATE(SV_MP_STATE_WAIT_SIPI) (which loads the INIT state);
 *   VM_SET_MSR_POLICY with the image's policy note (SV_NOTE_MSR_POLICY),
 *   only if it is not SV_MSR_POLICY_GP;
 *   VM_FINALIZE.
 */
#ifndef GUEST_VMM_LAYOUT_H
#define GUEST_VMM_LAYOUT_H

#include <stdbool.h>
#include <stdint.h>
#include <sealvisor/hypercall.h>
#include <sealvisor/memobj.h>

/* Guest memory the VMM gives every test kernel. */
#define GUEST_MEM      (96UL << 20)
#define GUEST_EXTENTS  (64UL << 20)    /* [64 MiB, 96 MiB) is fallocated: 2 MiB extents */

/* The one region: all of the object, at gpa 0. */
#define GUEST_REGION_GPA     0UL
#define GUEST_REGION_OFFSET  0UL
/* The object is created with MEMOBJ_ALLOW_SEALING (no seals) and gets
 * exactly these: its seals at VM_FINALIZE, which the measurement covers. */
#define GUEST_SEALS          MEMOBJ_SEAL_GUEST

/* A test device the demo VMM emulates for every guest (decoded MMIO
 * exits): 64 8-byte registers at 8-byte-aligned offsets from here; a
 * read returns the last value written there (its size's bytes); other
 * offsets read all ones and ignore writes. Within the identity-mapped
 * first GiB, above guest RAM. */
#define TEST_MMIO_GPA   0x3ff00000UL
#define TEST_MMIO_REGS  64

/* The demo VMM's console over shared memory (guest/vmm/memattr.c): a
 * guest shares a page holding struct ring_console, fills it, and writes
 * the page's gpa >> 12 to this port; the VMM prints what is between tail
 * and head from its side of the shared memory and moves tail up to head. */
#define RING_DOORBELL_PORT 0x510
/* The benchmark's port (guest/vmm/bench_port.c): a 32-bit IN from it
 * returns how many such INs the guest has made, this one included. */
#define BENCH_PORT 0x514
#define RING_BYTES 4088
struct ring_console {
	uint32_t head;           /* the guest's: bytes written, ever */
	uint32_t tail;           /* the VMM's: bytes consumed, ever */
	char data[RING_BYTES];   /* byte i at data[i % RING_BYTES] */
};

/* The guest's page tables: PML4, PDPT, PD in three consecutive pages. */
#define PT_GPA   0x1000UL
#define PT_SIZE  (3 * 4096UL)

/* vCPU i's stack starts 1 MiB * i below the top of guest memory. */
#define VCPU_STACK_SPACING (1UL << 20)

/* Fills pt (PT_SIZE bytes) with tables, to be loaded at pt_gpa, that
 * identity-map the first 1 GiB with 2 MiB pages (present, writable). */
static inline void layout_page_tables(uint64_t pt[PT_SIZE / 8], uint64_t pt_gpa)
{
	for (unsigned i = 0; i < PT_SIZE / 8; i++)
		pt[i] = 0;
	pt[0] = (pt_gpa + 0x1000) | 3;              /* PML4[0] -> PDPT */
	pt[512] = (pt_gpa + 0x2000) | 3;            /* PDPT[0] -> PD */
	for (uint64_t i = 0; i < 512; i++)
		pt[1024 + i] = (i << 21) | 0x83;     /* PD[i]: 2 MiB page, present, writable */
}

/* vCPU i's initial registers: every vCPU starts at the entry point with its
 * id in RDI (the test kernels' _start(id)) and its own stack; -8 keeps the
 * SysV alignment of a function entered by a call. */
static inline struct sv_vcpu_regs layout_vcpu_regs(uint64_t entry, unsigned i, uint64_t mem,
						   uint64_t pt_gpa)
{
	struct sv_vcpu_regs r = { .rip = entry, .rsp = mem - i * VCPU_STACK_SPACING - 8,
				  .rdi = i, .cr3 = pt_gpa };
	return r;
}

/* What a 32- or 16-bit start puts in EAX (with the mode in the low byte):
 * the test kernels check it and EBX = vCPU id. */
#define LAYOUT_START_MAGIC 0x53560000u

static inline struct sv_segment layout_seg(uint16_t sel, uint16_t attr, uint32_t limit)
{
	struct sv_segment g = { .base = 0, .limit = limit, .selector = sel, .attr = attr };
	return g;
}

/*
 * vCPU i's whole state for a SV_START_32 or SV_START_16 image:
 *   32: protected mode, paging off; flat 4 GiB segments (CS 0x08 32-bit
 *       code, data 0x10), TR 0x18; EIP = entry, ESP as layout_vcpu_regs.
 *   16: real mode; every segment selector and base 0, limit 0xffff;
 *       IP = entry (below 64 KiB), SP 0x7000 - 0x400 * i; IDTR the real-
 *       mode vector table (0, 0x3ff).
 * Both: CR0 = MP ET NE (+ PE for 32), CR3, CR4, EFER 0, RFLAGS 2,
 * EAX = LAYOUT_START_MAGIC | mode, EBX = i, every other GPR 0.
 */
static inline void layout_vcpu_state(uint64_t entry, unsigned i, uint64_t mem, uint32_t mode,
				     struct sv_regs *r, struct sv_sregs *s)
{
	struct sv_regs zr = { 0 };
	struct sv_sregs zs = { 0 };
	bool real = mode == 16;

	*r = zr;
	*s = zs;
	r->rax = LAYOUT_START_MAGIC | mode;
	r->rbx = i;
	r->rip = entry;
	r->rflags = 2;
	r->rsp = real ? 0x7000 - 0x400 * i : mem - i * VCPU_STACK_SPACING - 8;
	s->cs = real ? layout_seg(0, 0x9b, 0xffff) : layout_seg(0x08, 0xc9b, 0xffffffff);
	s->ds = real ? layout_seg(0, 0x93, 0xffff) : layout_seg(0x10, 0xc93, 0xffffffff);
	s->es = s->fs = s->gs = s->ss = s->ds;
	s->tr = real ? layout_seg(0, 0x8b, 0xffff) : layout_seg(0x18, 0x8b, 0x67);
	s->idt.limit = real ? 0x3ff : 0;
	s->cr0 = real ? 0x32 : 0x33;
}

#endif
