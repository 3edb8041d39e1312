/*
 * Launch measurement format v2, the verifier's side: the records the
 * hypervisor hashes, written to any byte sink, and the whole stream of a
 * demo-VMM launch of an ELF image (guest/vmm/layout.h). Host code only;
 * used by tests/tools/sv-measure and the unit tests. Written from the
 * format's description (README "Launch measurement"), never from hv/vm.c,
 * so that it can disagree with the hypervisor.
 */
#ifndef TESTS_TOOLS_LAUNCH_STREAM_H
#define TESTS_TOOLS_LAUNCH_STREAM_H

#include <stddef.h>
#include <stdint.h>
#include <sealvisor/hypercall.h>

#define LS_FORMAT_VERSION 2
#define LS_REC_POPULATE 1
#define LS_REC_REGION 2
#define LS_REC_VCPU_COUNT 3
#define LS_REC_CPUID 5
#define LS_REC_MSR_POLICY 6
#define LS_REC_VCPU_STATE 7
#define LS_REC_MP_STATE 8
#define LS_REC_MEMATTR 9

struct ls_sink {
	void (*write)(void *ctx, const void *data, size_t len);
	void *ctx;
};

/* The records, each a sequence of u64 little-endian fields. */
void ls_header(const struct ls_sink *s);
void ls_populate(const struct ls_sink *s, uint64_t gpa, const void *data, uint64_t len);
void ls_region(const struct ls_sink *s, uint64_t gpa, uint64_t size, uint64_t offset,
	       uint64_t seals);
void ls_vcpu_count(const struct ls_sink *s, uint64_t n);
void ls_cpuid(const struct ls_sink *s, const struct sv_cpuid_entry *e, uint64_t n);
void ls_msr_policy(const struct ls_sink *s, uint64_t policy);
void ls_vcpu_state(const struct ls_sink *s, uint64_t id, const struct sv_regs *r,
		   const struct sv_sregs *sr);
/* The state VCPU_CREATE gives (README "vCPU register state"): 64-bit,
 * flat segments, paging with r->cr3. */
void ls_default_state(const struct sv_vcpu_regs *r, struct sv_regs *regs, struct sv_sregs *sr);
/* Record 8: a vCPU's MP state, written only when not RUNNABLE. */
void ls_mp_state(const struct ls_sink *s, uint64_t id, uint64_t state);
/* Record 9, right after its region's record 2 when the region has memory
 * attributes: the n maximal runs of shared pages, runs[i] = { gpa, bytes }. */
void ls_memattr(const struct ls_sink *s, uint64_t region_gpa, const uint64_t (*runs)[2],
		uint64_t n);
/* The architectural INIT state VCPU_SET_MP_STATE(WAIT_SIPI) loads
 * (README "MP state"). */
void ls_init_state(struct sv_regs *regs, struct sv_sregs *sr);

/* What a demo-VMM launch depends on besides the image. */
struct demo_layout {
	uint64_t mem;          /* guest memory: the one region's size */
	uint64_t pt_gpa;       /* where the page tables go (and CR3) */
	uint64_t seals;        /* the object's seals at VM_FINALIZE */
};

/* The demo VMM's own values (layout.h). */
void demo_layout_default(struct demo_layout *l);

/* Writes the whole v2 stream of the demo VMM launching img (size bytes)
 * under l, and returns 0. If the launch would fail or the image is
 * malformed, writes nothing, puts a message naming the offending value in
 * err and returns -1. */
int demo_launch_stream(const void *img, size_t size, const struct demo_layout *l,
		       const struct ls_sink *s, char *err, size_t errlen);

#endif
