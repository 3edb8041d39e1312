/* Launch measurement format v2 records and the demo VMM's launch of an ELF
 * image as one stream (see launch_stream.h). */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sealvisor/elf64.h>
#include "guest/vmm/layout.h"
#include "tests/tools/launch_stream.h"

/* ELF fields are read, and the page tables written, in host order: both
 * are little endian only on a little-endian host. */
#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "launch_stream.c assumes a little-endian host"
#endif

/* Byte by byte, so the encoding is little endian whatever the host is. */
static void put_u64(const struct ls_sink *s, uint64_t v)
{
	uint8_t b[8];

	for (int i = 0; i < 8; i++)
		b[i] = (uint8_t)(v >> (8 * i));
	s->write(s->ctx, b, sizeof(b));
}

void ls_header(const struct ls_sink *s)
{
	s->write(s->ctx, "SVLAUNCH", 8);
	put_u64(s, LS_FORMAT_VERSION);
}

void ls_populate(const struct ls_sink *s, uint64_t gpa, const void *data, uint64_t len)
{
	put_u64(s, LS_REC_POPULATE);
	put_u64(s, gpa);
	put_u64(s, len);
	s->write(s->ctx, data, len);
}

void ls_region(const struct ls_sink *s, uint64_t gpa, uint64_t size, uint64_t offset,
	       uint64_t seals)
{
	put_u64(s, LS_REC_REGION);
	put_u64(s, gpa);
	put_u64(s, size);
	put_u64(s, offset);
	put_u64(s, seals);
}

void ls_vcpu_count(const struct ls_sink *s, uint64_t n)
{
	put_u64(s, LS_REC_VCPU_COUNT);
	put_u64(s, n);
}

static void put_u64s(const struct ls_sink *s, const uint64_t *v, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		put_u64(s, v[i]);
}

void ls_cpuid(const struct ls_sink *s, const struct sv_cpuid_entry *e, uint64_t n)
{
	put_u64(s, LS_REC_CPUID);
	put_u64(s, n);
	for (uint64_t k = 0; k < n; k++) {
		const uint64_t f[] = { e[k].function, e[k].index, e[k].flags, e[k].eax, e[k].ebx,
				       e[k].ecx, e[k].edx };
		put_u64s(s, f, 7);
	}
}

void ls_msr_policy(const struct ls_sink *s, uint64_t policy)
{
	put_u64(s, LS_REC_MSR_POLICY);
	put_u64(s, policy);
}

void ls_memattr(const struct ls_sink *s, uint64_t region_gpa, const uint64_t (*runs)[2],
		uint64_t n)
{
	put_u64(s, LS_REC_MEMATTR);
	put_u64(s, region_gpa);
	put_u64(s, n);
	for (uint64_t i = 0; i < n; i++) {
		put_u64(s, runs[i][0]);
		put_u64(s, runs[i][1]);
	}
}

/* Field by field in the documented order, never the structs' memory:
 * padding or a reordered struct must not change the format. */
void ls_vcpu_state(const struct ls_sink *s, uint64_t id, const struct sv_regs *r,
		   const struct sv_sregs *sr)
{
	const uint64_t regs[] = { LS_REC_VCPU_STATE, id, r->rax, r->rbx, r->rcx, r->rdx, r->rsi,
				  r->rdi, r->rsp, r->rbp, r->r8, r->r9, r->r10, r->r11, r->r12,
				  r->r13, r->r14, r->r15, r->rip, r->rflags };
	const struct sv_segment *g[] = { &sr->cs, &sr->ds, &sr->es, &sr->fs, &sr->gs, &sr->ss,
					 &sr->tr, &sr->ldt };

	put_u64s(s, regs, 20);
	for (int i = 0; i < 8; i++) {
		const uint64_t f[] = { g[i]->base, g[i]->limit, g[i]->selector, g[i]->attr };
		put_u64s(s, f, 4);
	}
	const uint64_t sys[] = { sr->gdt.base, sr->gdt.limit, sr->idt.base, sr->idt.limit,
				 sr->cr0, sr->cr2, sr->cr3, sr->cr4, sr->cr8, sr->efer };
	put_u64s(s, sys, 10);
}

static struct sv_segment flat(uint16_t sel, uint16_t attr, uint32_t limit)
{
	return (struct sv_segment){ .selector = sel, .attr = attr, .limit = limit };
}

void ls_default_state(const struct sv_vcpu_regs *r, struct sv_regs *regs, struct sv_sregs *sr)
{
	*regs = (struct sv_regs){ .rip = r->rip, .rsp = r->rsp, .rdi = r->rdi, .rsi = r->rsi,
				  .rdx = r->rdx, .rcx = r->rcx, .rflags = 2 };
	*sr = (struct sv_sregs){
		.cs = flat(0x08, 0xa9b, 0xffffffff), .ds = flat(0x10, 0xc93, 0xffffffff),
		.es = flat(0x10, 0xc93, 0xffffffff), .fs = flat(0x10, 0xc93, 0xffffffff),
		.gs = flat(0x10, 0xc93, 0xffffffff), .ss = flat(0x10, 0xc93, 0xffffffff),
		.tr = flat(0x18, 0x8b, 0x67), .ldt = flat(0, 0, 0),
		.cr0 = 0x80050033, .cr3 = r->cr3, .cr4 = 0x620, .efer = 0xd00,
	};
}

void ls_mp_state(const struct ls_sink *s, uint64_t id, uint64_t state)
{
	if (state == SV_MP_STATE_RUNNABLE)
		return;
	put_u64(s, LS_REC_MP_STATE);
	put_u64(s, id);
	put_u64(s, state);
}

/* README "MP state": real mode at f000:fff0, CS base 0xffff0000; CR0 CD
 * NW NE ET; 64 KiB segments; TR a busy TSS, LDTR an LDT. */
void ls_init_state(struct sv_regs *regs, struct sv_sregs *sr)
{
	*regs = (struct sv_regs){ .rip = 0xfff0, .rflags = 2 };
	*sr = (struct sv_sregs){
		.cs = { .base = 0xffff0000, .limit = 0xffff, .selector = 0xf000, .attr = 0x9b },
		.ds = flat(0, 0x93, 0xffff), .es = flat(0, 0x93, 0xffff),
		.fs = flat(0, 0x93, 0xffff), .gs = flat(0, 0x93, 0xffff),
		.ss = flat(0, 0x93, 0xffff), .tr = flat(0, 0x8b, 0xffff),
		.ldt = flat(0, 0x82, 0xffff),
		.gdt = { .limit = 0xffff }, .idt = { .limit = 0xffff },
		.cr0 = 0x60000030,
	};
}

void demo_layout_default(struct demo_layout *l)
{
	l->mem = GUEST_MEM;
	l->pt_gpa = PT_GPA;
	l->seals = GUEST_SEALS;
}

__attribute__((format(printf, 3, 4)))
static int bad(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

/* The checks of elf64_check, one by one, to say which value is wrong. */
static int check_ehdr(const struct elf64_ehdr *h, size_t size, char *err, size_t errlen)
{
	if (size < sizeof(*h))
		return bad(err, errlen, "image is %zu bytes, smaller than an ELF64 header (%zu)",
			   size, sizeof(*h));
	if (h->ident[0] != 0x7f || h->ident[1] != 'E' || h->ident[2] != 'L' || h->ident[3] != 'F')
		return bad(err, errlen, "not an ELF image: magic %02x %02x %02x %02x, expected 7f 45 4c 46",
			   h->ident[0], h->ident[1], h->ident[2], h->ident[3]);
	if (h->ident[4] != 2)
		return bad(err, errlen, "ELF class %u, expected 2 (64-bit)", h->ident[4]);
	if (h->ident[5] != 1)
		return bad(err, errlen, "ELF data encoding %u, expected 1 (little endian)", h->ident[5]);
	if (h->type != 2)
		return bad(err, errlen, "ELF type %u, expected 2 (EXEC)", h->type);
	if (h->machine != 62)
		return bad(err, errlen, "ELF machine %u, expected 62 (x86-64)", h->machine);
	if (h->phentsize != sizeof(struct elf64_phdr))
		return bad(err, errlen, "program header size %u, expected %zu", h->phentsize,
			   sizeof(struct elf64_phdr));
	if (h->phoff > size || (uint64_t)h->phnum * sizeof(struct elf64_phdr) > size - h->phoff)
		return bad(err, errlen, "%u program headers at offset 0x%lx run past the end of the "
			   "%zu-byte image", h->phnum, h->phoff, size);
	return 0;
}

/* elf64_check's segment rules, then the VMM's launch: VM_POPULATE fails
 * (-EINVAL) for bytes outside the one region. */
static int check_load(const struct elf64_phdr *p, unsigned i, size_t size,
		      const struct demo_layout *l, char *err, size_t errlen)
{
	if (p->offset > size || p->filesz > size - p->offset)
		return bad(err, errlen, "segment %u: file bytes [0x%lx, +0x%lx) run past the end of "
			   "the %zu-byte image", i, p->offset, p->filesz, size);
	if (p->filesz > p->memsz)
		return bad(err, errlen, "segment %u: filesz 0x%lx is larger than memsz 0x%lx", i,
			   p->filesz, p->memsz);
	if (p->paddr + p->memsz < p->paddr)
		return bad(err, errlen, "segment %u: paddr 0x%lx + memsz 0x%lx overflows", i,
			   p->paddr, p->memsz);
	if (p->filesz && (p->paddr >= l->mem || p->filesz > l->mem - p->paddr))
		return bad(err, errlen, "segment %u: [0x%lx, +0x%lx) is outside guest memory "
			   "[0, 0x%lx)", i, p->paddr, p->filesz, l->mem);
	return 0;
}

static int check_layout(const struct demo_layout *l, char *err, size_t errlen)
{
	if (!l->mem || l->mem & 0xfff || l->mem > MEMOBJ_MAX_SIZE)
		return bad(err, errlen, "guest memory size 0x%lx: must be a non-zero multiple of "
			   "4 KiB up to 0x%llx", l->mem, MEMOBJ_MAX_SIZE);
	if (l->pt_gpa & 0xfff || l->pt_gpa >= l->mem || PT_SIZE > l->mem - l->pt_gpa)
		return bad(err, errlen, "page tables at 0x%lx: must be 4 KiB aligned with 0x%lx "
			   "bytes inside guest memory [0, 0x%lx)", l->pt_gpa, PT_SIZE, l->mem);
	if (l->seals & ~(uint64_t)MEMOBJ_ALL_SEALS || !(l->seals & MEMOBJ_SEAL_GUEST))
		return bad(err, errlen, "seals 0x%lx: must include GUEST (0x%x) and nothing "
			   "outside 0x%x", l->seals, MEMOBJ_SEAL_GUEST, MEMOBJ_ALL_SEALS);
	return 0;
}

/* Everything that would make the VMM's launch fail, before a byte goes out. */
static int check_launch(const void *img, size_t size, const struct demo_layout *l,
			uint32_t *nr_vcpus, char *err, size_t errlen)
{
	const struct elf64_ehdr *h = img;

	if (check_layout(l, err, errlen) || check_ehdr(h, size, err, errlen))
		return -1;
	const struct elf64_phdr *ph = elf64_phdrs(img);
	for (unsigned i = 0; i < h->phnum; i++)
		if (ph[i].type == ELF_PT_LOAD && check_load(&ph[i], i, size, l, err, errlen))
			return -1;
	/* Same verdict as the VMM's own check, or this tool has drifted. */
	if (elf64_check(img, size))
		return bad(err, errlen, "image refused by elf64_check for a reason not reported above");
	*nr_vcpus = elf64_vcpus(img, size);
	if (*nr_vcpus == 0 || *nr_vcpus > SV_MAX_VCPUS)
		return bad(err, errlen, "the image's vCPU note asks for %u vCPUs: the VMM launches "
			   "1 to %u", *nr_vcpus, SV_MAX_VCPUS);
	uint32_t mode = elf64_start_mode(img, size), len = 0;
	if (mode != SV_START_64 && mode != SV_START_32 && mode != SV_START_16)
		return bad(err, errlen, "the image's start-mode note says %u: the VMM starts 64, 32 "
			   "or 16", mode);
	uint32_t policy = elf64_note_u32(img, size, SV_NOTE_MSR_POLICY, SV_MSR_POLICY_GP);
	if (policy != SV_MSR_POLICY_GP && policy != SV_MSR_POLICY_EXIT)
		return bad(err, errlen, "the image's MSR policy note says %u: the hypervisor knows "
			   "%u and %u", policy, SV_MSR_POLICY_GP, SV_MSR_POLICY_EXIT);
	uint32_t ap = elf64_ap_start(img, size);
	if (ap != SV_AP_START_RUN && ap != SV_AP_START_SIPI)
		return bad(err, errlen, "the image's AP start note says %u: the VMM knows %u and %u",
			   ap, SV_AP_START_RUN, SV_AP_START_SIPI);
	if (elf64_note(img, size, SV_NOTE_CPUID, &len) &&
	    (len % sizeof(struct sv_cpuid_entry) || len / sizeof(struct sv_cpuid_entry) > SV_MAX_CPUID))
		return bad(err, errlen, "the image's CPUID note is %u bytes: not 1 to %u entries of "
			   "%zu bytes", len, SV_MAX_CPUID, sizeof(struct sv_cpuid_entry));
	return 0;
}

/* Records 5 and 6: the image's CPUID table and MSR policy as the VMM sets
 * them (no note: no table, the #GP policy 0). */
static void policy_records(const void *img, size_t size, const struct ls_sink *s)
{
	uint32_t len = 0;
	const struct sv_cpuid_entry *t = elf64_note(img, size, SV_NOTE_CPUID, &len);
	static struct sv_cpuid_entry copy[SV_MAX_CPUID];
	uint32_t n = t ? len / (uint32_t)sizeof(*t) : 0;

	memcpy(copy, t, n * sizeof(*t));     /* the note may be unaligned in the buffer */
	ls_cpuid(s, copy, n);
	ls_msr_policy(s, elf64_note_u32(img, size, SV_NOTE_MSR_POLICY, SV_MSR_POLICY_GP));
}

int demo_launch_stream(const void *img, size_t size, const struct demo_layout *l,
		       const struct ls_sink *s, char *err, size_t errlen)
{
	static uint64_t pt[PT_SIZE / 8];
	uint32_t nr_vcpus = 0;

	if (check_launch(img, size, l, &nr_vcpus, err, errlen))
		return -1;
	const struct elf64_ehdr *h = img;
	const struct elf64_phdr *ph = elf64_phdrs(img);
	ls_header(s);
	/* The VMM's load(): program-header order, segments with file bytes. */
	for (unsigned i = 0; i < h->phnum; i++)
		if (ph[i].type == ELF_PT_LOAD && ph[i].filesz)
			ls_populate(s, ph[i].paddr, (const uint8_t *)img + ph[i].offset, ph[i].filesz);
	layout_page_tables(pt, l->pt_gpa);
	ls_populate(s, l->pt_gpa, pt, PT_SIZE);
	/* At VM_FINALIZE: the one region, then the vCPUs. */
	ls_region(s, GUEST_REGION_GPA, l->mem, GUEST_REGION_OFFSET, l->seals);
	policy_records(img, size, s);
	ls_vcpu_count(s, nr_vcpus);
	uint32_t mode = elf64_start_mode(img, size);
	bool sipi = elf64_ap_start(img, size) == SV_AP_START_SIPI;
	for (unsigned i = 0; i < nr_vcpus; i++) {
		struct sv_vcpu_regs r = layout_vcpu_regs(h->entry, i, l->mem, l->pt_gpa);
		struct sv_regs regs;
		struct sv_sregs sr;
		if (i && sipi)
			ls_init_state(&regs, &sr);
		else if (mode == SV_START_64)
			ls_default_state(&r, &regs, &sr);
		else
			layout_vcpu_state(h->entry, i, l->mem, mode, &regs, &sr);
		ls_vcpu_state(s, i, &regs, &sr);
		ls_mp_state(s, i, i && sipi ? SV_MP_STATE_WAIT_SIPI : SV_MP_STATE_RUNNABLE);
	}
	return 0;
}
