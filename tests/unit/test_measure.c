/*
 * Launch measurement format v2 (README "Launch measurement") on the host:
 * the hypervisor's digest of a launch against a stream composed here from
 * the format's description, and the verifier's stream writer
 * (tests/tools/launch_stream.c) against the same description. Every field
 * of every record has a distinct value, so a hypervisor that drops,
 * reorders or mis-encodes any of them fails.
 */
#include <stdio.h>
#include <string.h>
#include <sealvisor/elf64.h>
#include "guest/vmm/layout.h"
#include "hv/hypercall.h"
#include "lib/sha256.h"
#include "hv/vm.h"
#include "mm/pmm.h"
#include "tests/tools/launch_stream.h"
#include "tests/unit/fake_virt.h"
#include "tests/unit/unit.h"

#define MB (1UL << 20)

/* A byte stream built in memory. */
struct stream {
	uint8_t b[64 * 1024];
	size_t n;
};

static struct stream want, got;
static struct vm *control, *vm;
static struct memobj *obj_a, *obj_b;
static uint64_t free0;

static void put(struct stream *s, const void *p, size_t n)
{
	ck_assert_uint_le(n, sizeof(s->b) - s->n);
	memcpy(s->b + s->n, p, n);
	s->n += n;
}

/* The spec's u64: eight bytes, least significant first. Written with
 * shifts here, not with the library's helper, so they can disagree. */
static void u64(struct stream *s, uint64_t v)
{
	uint8_t b[8] = { v, v >> 8, v >> 16, v >> 24, v >> 32, v >> 40, v >> 48, v >> 56 };
	put(s, b, 8);
}

static void sink_write(void *ctx, const void *p, size_t n)
{
	put(ctx, p, n);
}

static void digest_hex(const void *p, size_t n, char out[65])
{
	struct sha256 c;
	uint8_t d[32];

	sha256_init(&c);
	sha256_update(&c, p, n);
	sha256_final(&c, d);
	for (int i = 0; i < 32; i++)
		sprintf(out + 2 * i, "%02x", d[i]);
}

static void assert_measures(struct vm *v, const struct stream *s)
{
	char w[65], g[65];

	digest_hex(s->b, s->n, w);
	for (int i = 0; i < 32; i++)
		sprintf(g + 2 * i, "%02x", v->measurement[i]);
	ck_assert_msg(!strcmp(w, g), "hypervisor measured %s, format v1 of the launch is %s "
		      "(%zu-byte stream)", g, w, s->n);
}

static int64_t hc(uint64_t nr, uint64_t a, uint64_t b, uint64_t c)
{
	return unit_hc(control, nr, a, b, c, 0, 0);
}

/* VCPU_CREATE as the control partition calls it: regs in its RAM. */
static void create_vcpu(unsigned id, const struct sv_vcpu_regs *r)
{
	uint64_t gpa = 0x1000 * (id + 1);
	memcpy(vm_guest_ptr(control, gpa, sizeof(*r)), r, sizeof(*r));
	ck_assert_int_eq(hc(SV_HC_VCPU_CREATE, vm->id, id, gpa), 0);
}

static struct memobj *guest_object(uint64_t size)
{
	struct memobj *o;
	ck_assert_int_eq(memobj_create(MEMOBJ_ALLOW_SEALING, &o), 0);
	ck_assert_int_eq(memobj_add_seals(o, MEMOBJ_SEAL_GUEST), 0);
	ck_assert_int_eq(memobj_set_size(o, size), 0);
	return o;
}

static void setup(void)
{
	arena_pmm(0, 64 * MB);
	memset(vms, 0, sizeof(vms));
	fake_reset();
	free0 = pmm_free_pages();
	want.n = got.n = 0;
	ck_assert_int_eq(vm_create_control(4 * MB, &control), 0);
	ck_assert_int_eq(vm_create_guest(&vm), 0);
}

static void teardown(void)
{
	vm_destroy(vm);
	vm_destroy(control);
	if (obj_a)
		memobj_close(obj_a);
	if (obj_b)
		memobj_close(obj_b);
	obj_a = obj_b = NULL;
	ck_assert_uint_eq(pmm_free_pages(), free0);
	arena_unmap();
}

/* The spec's records, composed by hand. */
static void want_populate(uint64_t gpa, const void *p, uint64_t len)
{
	u64(&want, 1), u64(&want, gpa), u64(&want, len), put(&want, p, len);
}

static void want_region(uint64_t gpa, uint64_t size, uint64_t off, uint64_t seals)
{
	u64(&want, 2), u64(&want, gpa), u64(&want, size), u64(&want, off), u64(&want, seals);
}

static void want_seg(uint64_t base, uint64_t limit, uint64_t sel, uint64_t attr)
{
	u64(&want, base), u64(&want, limit), u64(&want, sel), u64(&want, attr);
}

/* Record 7 of a vCPU left in VCPU_CREATE's state, from the README: GPRs
 * rax..r15 (rdi, rsi, rdx, rcx, rsp from r), rip, rflags 2; then cs, ds,
 * es, fs, gs, ss, tr, ldt; gdt, idt; cr0 cr2 cr3 cr4 cr8 efer. */
static void want_vcpu(uint64_t id, const struct sv_vcpu_regs *r)
{
	u64(&want, 7), u64(&want, id);
	u64(&want, 0), u64(&want, 0), u64(&want, r->rcx), u64(&want, r->rdx);   /* rax rbx rcx rdx */
	u64(&want, r->rsi), u64(&want, r->rdi), u64(&want, r->rsp), u64(&want, 0);
	for (int i = 0; i < 8; i++)
		u64(&want, 0);                                       /* r8-r15 */
	u64(&want, r->rip), u64(&want, 2);
	want_seg(0, 0xffffffff, 0x08, 0xa9b);
	for (int i = 0; i < 4; i++)
		want_seg(0, 0xffffffff, 0x10, 0xc93);                /* ds es fs gs */
	want_seg(0, 0xffffffff, 0x10, 0xc93);                        /* ss */
	want_seg(0, 0x67, 0x18, 0x8b);
	want_seg(0, 0, 0, 0);
	for (int i = 0; i < 4; i++)
		u64(&want, 0);                                       /* gdt, idt */
	u64(&want, 0x80050033), u64(&want, 0), u64(&want, r->cr3), u64(&want, 0x620);
	u64(&want, 0), u64(&want, 0xd00);
}

/* Records 5 (no CPUID table) and 6 (MSR policy 0). */
static void want_no_policy(void)
{
	u64(&want, 5), u64(&want, 0), u64(&want, 6), u64(&want, 0);
}

/*
 * Two regions bound out of gpa order, one at object offset 1 MiB whose
 * object gets more seals after binding; two populates out of gpa order
 * (one across a page boundary, lengths not multiples of 8); two vCPUs
 * created out of id order, every register distinct.
 */
START_TEST(hypervisor_measures_format_v2)
{
	static uint8_t data_a[5000], data_b[100];
	const struct sv_vcpu_regs r0 = { 0x100010, 0x5ff0, 0x11, 0x12, 0x13, 0x14, 0x3000 };
	const struct sv_vcpu_regs r1 = { 0x100020, 0x4ff0, 0x21, 0x22, 0x23, 0x24, 0x5000 };
	for (unsigned i = 0; i < sizeof(data_a); i++)
		data_a[i] = (uint8_t)(i * 7 + 1);
	for (unsigned i = 0; i < sizeof(data_b); i++)
		data_b[i] = (uint8_t)(0xa0 ^ i);

	obj_a = guest_object(2 * MB);
	obj_b = guest_object(4 * MB);
	ck_assert_int_eq(vm_set_region(vm, 16 * MB, 2 * MB, obj_b, 1 * MB), 0);
	ck_assert_int_eq(vm_set_region(vm, 0, 2 * MB, obj_a, 0), 0);
	/* Seals count as they are at FINALIZE, not at SET_REGION. */
	ck_assert_int_eq(memobj_add_seals(obj_b, MEMOBJ_SEAL_GROW | MEMOBJ_SEAL_SHRINK), 0);
	ck_assert_int_eq(vm_populate(vm, 16 * MB + 0x3000, data_b, sizeof(data_b)), 0);
	ck_assert_int_eq(vm_populate(vm, 0x1ff0, data_a, sizeof(data_a)), 0);
	create_vcpu(1, &r1);
	create_vcpu(0, &r0);
	ck_assert_int_eq(vm_finalize(vm), 0);

	put(&want, "SVLAUNCH", 8), u64(&want, 2);
	want_populate(16 * MB + 0x3000, data_b, sizeof(data_b));     /* call order */
	want_populate(0x1ff0, data_a, sizeof(data_a));
	want_region(0, 2 * MB, 0, MEMOBJ_SEAL_GUEST);                /* ascending gpa */
	want_region(16 * MB, 2 * MB, 1 * MB,
		    MEMOBJ_SEAL_GUEST | MEMOBJ_SEAL_GROW | MEMOBJ_SEAL_SHRINK);
	want_no_policy();
	u64(&want, 3), u64(&want, 2);
	want_vcpu(0, &r0);                                           /* ascending id */
	want_vcpu(1, &r1);
	/* The encoder itself, against the spec's bytes. */
	ck_assert(!memcmp(want.b, "SVLAUNCH\2\0\0\0\0\0\0\0\1\0\0\0\0\0\0\0\0\x30\0\x01", 28));
	ck_assert(!memcmp(want.b + 32, "\x64\0\0\0\0\0\0\0", 8));    /* len 100 */
	assert_measures(vm, &want);
}
END_TEST

/*
 * A tiny guest image: PT_LOAD segments out of paddr order, one without file
 * bytes (BSS: not populated), and a vCPU note asking for 2.
 */
#define IMG_ENTRY 0x100040UL
static uint8_t img[0x600];

static void make_image(uint32_t vcpus)
{
	struct elf64_ehdr *h = (void *)img;
	struct elf64_phdr *ph = (void *)(img + sizeof(*h));
	static const uint8_t note_name[12] = "sealvisor";

	memset(img, 0, sizeof(img));
	memcpy(h->ident, "\x7f" "ELF\2\1\1", 7);
	h->type = 2, h->machine = 62, h->version = 1, h->entry = IMG_ENTRY;
	h->phoff = sizeof(*h), h->ehsize = sizeof(*h), h->phentsize = sizeof(*ph), h->phnum = 4;
	ph[0] = (struct elf64_phdr){ ELF_PT_LOAD, 5, 0x200, 0x200000, 0x200000, 300, 300, 0x1000 };
	ph[1] = (struct elf64_phdr){ ELF_PT_NOTE, 4, 0x400, 0, 0, 28, 28, 4 };
	ph[2] = (struct elf64_phdr){ ELF_PT_LOAD, 6, 0, 0x300000, 0x300000, 0, 0x1000, 0x1000 };
	ph[3] = (struct elf64_phdr){ ELF_PT_LOAD, 4, 0x500, 0x100000, 0x100000, 40, 0x2000, 0x1000 };
	for (unsigned i = 0x200; i < 0x200 + 300; i++)
		img[i] = (uint8_t)(i * 13);
	for (unsigned i = 0x500; i < 0x500 + 40; i++)
		img[i] = (uint8_t)(i * 3 + 5);
	memcpy(img + 0x400, (uint32_t[3]){ 10, 4, SV_NOTE_VCPUS }, 12);
	memcpy(img + 0x40c, note_name, 12);
	memcpy(img + 0x418, &vcpus, 4);
}

/* What the demo VMM launching img must measure, from the README alone. */
static void want_demo_launch(void)
{
	static uint8_t pt[3 * 4096];
	struct stream *s = &want;

	put(s, "SVLAUNCH", 8), u64(s, 2);
	want_populate(0x200000, img + 0x200, 300);
	want_populate(0x100000, img + 0x500, 40);
	/* PML4[0] -> PDPT at 0x2000, PDPT[0] -> PD at 0x3000, PD: 2 MiB pages. */
	memset(pt, 0, sizeof(pt));
	memcpy(pt, "\x03\x20\0\0\0\0\0\0", 8);
	memcpy(pt + 4096, "\x03\x30\0\0\0\0\0\0", 8);
	for (uint64_t i = 0; i < 512; i++)
		for (int k = 0; k < 8; k++)
			pt[8192 + 8 * i + k] = (uint8_t)(((i << 21) | 0x83) >> (8 * k));
	want_populate(0x1000, pt, sizeof(pt));
	want_region(0, 96 * MB, 0, MEMOBJ_SEAL_GUEST);
	want_no_policy();
	u64(s, 3), u64(s, 2);
	want_vcpu(0, &(struct sv_vcpu_regs){ .rip = IMG_ENTRY, .rsp = 96 * MB - 8, .cr3 = 0x1000 });
	want_vcpu(1, &(struct sv_vcpu_regs){ .rip = IMG_ENTRY, .rsp = 95 * MB - 8, .rdi = 1,
					      .cr3 = 0x1000 });
}

static int tool_stream(struct demo_layout *l, char *err, size_t errlen)
{
	struct demo_layout def;
	struct ls_sink sink = { sink_write, &got };

	demo_layout_default(&def);
	return demo_launch_stream(img, sizeof(img), l ? l : &def, &sink, err, errlen);
}

START_TEST(tool_writes_format_v2_of_the_demo_launch)
{
	char err[256] = "";

	make_image(2);
	want_demo_launch();
	ck_assert_msg(tool_stream(NULL, err, sizeof(err)) == 0, "%s", err);
	size_t diff = 0;
	while (diff < got.n && diff < want.n && got.b[diff] == want.b[diff])
		diff++;
	ck_assert_msg(got.n == want.n && diff == want.n,
		      "tool stream (%zu bytes) differs from the spec's (%zu) at byte %zu",
		      got.n, want.n, diff);
}
END_TEST

static void assert_refused(const char *what, const char *needle)
{
	char err[256] = "";

	got.n = 0;
	ck_assert_msg(tool_stream(NULL, err, sizeof(err)) == -1, "%s accepted", what);
	ck_assert_msg(strstr(err, needle), "%s: message '%s' does not name '%s'", what, err, needle);
	ck_assert_msg(got.n == 0, "%s: %zu bytes written before the refusal", what, got.n);
}

START_TEST(tool_refuses_bad_images_naming_the_value)
{
	make_image(2);
	((struct elf64_ehdr *)img)->machine = 3;
	assert_refused("i386 image", "machine 3");
	make_image(2);
	((struct elf64_phdr *)(img + 64))[3].filesz = 0x1000;
	assert_refused("segment past the end", "segment 3: file bytes [0x500, +0x1000)");
	make_image(2);
	((struct elf64_phdr *)(img + 64))[0].paddr = 96 * MB - 8;
	assert_refused("segment past guest memory", "segment 0: [0x5fffff8, +0x12c)");
	make_image(SV_MAX_VCPUS + 1);
	assert_refused("too many vCPUs", "asks for 9 vCPUs");
	make_image(0);
	assert_refused("no vCPU", "asks for 0 vCPUs");
}
END_TEST

/* The tool's stream for img against what the hypervisor measures when
 * the launch is done the demo VMM's way (guest/vmm/layout.h). */
START_TEST(hypervisor_measures_what_the_tool_computes)
{
	static uint64_t pt[PT_SIZE / 8];
	char err[256] = "";

	make_image(2);
	const struct elf64_phdr *ph = elf64_phdrs(img);
	ck_assert_msg(tool_stream(NULL, err, sizeof(err)) == 0, "%s", err);
	ck_assert_int_eq(memobj_create(MEMOBJ_ALLOW_SEALING, &obj_a), 0);
	ck_assert_int_eq(memobj_add_seals(obj_a, GUEST_SEALS), 0);
	ck_assert_int_eq(memobj_set_size(obj_a, GUEST_MEM), 0);
	ck_assert_int_eq(vm_set_region(vm, GUEST_REGION_GPA, GUEST_MEM, obj_a, GUEST_REGION_OFFSET), 0);
	for (unsigned i = 0; i < 4; i++)
		if (ph[i].type == ELF_PT_LOAD && ph[i].filesz)
			ck_assert_int_eq(vm_populate(vm, ph[i].paddr, img + ph[i].offset, ph[i].filesz), 0);
	layout_page_tables(pt, PT_GPA);
	ck_assert_int_eq(vm_populate(vm, PT_GPA, pt, PT_SIZE), 0);
	for (unsigned i = 0; i < 2; i++) {
		struct sv_vcpu_regs r = layout_vcpu_regs(IMG_ENTRY, i, GUEST_MEM, PT_GPA);
		create_vcpu(i, &r);
	}
	ck_assert_int_eq(vm_finalize(vm), 0);
	assert_measures(vm, &got);
}
END_TEST

/* The same image with a start-mode note (32) and a CPUID note of two
 * entries, after the vCPU note: the tool's stream against what the
 * hypervisor measures when the launch is done the demo VMM's way. */
static const struct sv_cpuid_entry note_table[2] = {
	{ .function = 0x12345678, .eax = 0xa, .ebx = 0xb, .ecx = 0xc, .edx = 0xd },
	{ .function = 4, .index = 1, .flags = SV_CPUID_FLAG_INDEX, .eax = 0x41 },
};

static void make_image_with_policy_notes(void)
{
	struct elf64_phdr *ph = (void *)(img + sizeof(struct elf64_ehdr));
	uint32_t mode = SV_START_32;

	make_image(2);
	memcpy(img + 0x41c, (uint32_t[3]){ 10, 4, SV_NOTE_START_MODE }, 12);
	memcpy(img + 0x428, "sealvisor\0\0\0", 12);
	memcpy(img + 0x434, &mode, 4);
	memcpy(img + 0x438, (uint32_t[3]){ 10, sizeof(note_table), SV_NOTE_CPUID }, 12);
	memcpy(img + 0x444, "sealvisor\0\0\0", 12);
	memcpy(img + 0x450, note_table, sizeof(note_table));
	ph[1].filesz = ph[1].memsz = 0x450 + sizeof(note_table) - 0x400;
}

START_TEST(hypervisor_measures_what_the_tool_computes_for_modes_and_cpuid)
{
	static uint64_t pt[PT_SIZE / 8];
	char err[256] = "";

	make_image_with_policy_notes();
	ck_assert_uint_eq(elf64_start_mode(img, sizeof(img)), SV_START_32);
	ck_assert_msg(tool_stream(NULL, err, sizeof(err)) == 0, "%s", err);
	const struct elf64_phdr *ph = elf64_phdrs(img);
	ck_assert_int_eq(memobj_create(MEMOBJ_ALLOW_SEALING, &obj_a), 0);
	ck_assert_int_eq(memobj_add_seals(obj_a, GUEST_SEALS), 0);
	ck_assert_int_eq(memobj_set_size(obj_a, GUEST_MEM), 0);
	ck_assert_int_eq(vm_set_region(vm, GUEST_REGION_GPA, GUEST_MEM, obj_a, GUEST_REGION_OFFSET), 0);
	for (unsigned i = 0; i < 4; i++)
		if (ph[i].type == ELF_PT_LOAD && ph[i].filesz)
			ck_assert_int_eq(vm_populate(vm, ph[i].paddr, img + ph[i].offset, ph[i].filesz), 0);
	layout_page_tables(pt, PT_GPA);
	ck_assert_int_eq(vm_populate(vm, PT_GPA, pt, PT_SIZE), 0);
	memcpy(vm_guest_ptr(control, 0x10000, sizeof(note_table)), note_table, sizeof(note_table));
	ck_assert_int_eq(hc(SV_HC_VM_SET_CPUID, vm->id, 0x10000, 2), 0);
	for (unsigned i = 0; i < 2; i++) {
		struct sv_vcpu_regs r = layout_vcpu_regs(IMG_ENTRY, i, GUEST_MEM, PT_GPA);
		struct sv_regs *regs = vm_guest_ptr(control, 0x20000, sizeof(*regs));
		struct sv_sregs *s = vm_guest_ptr(control, 0x21000, sizeof(*s));
		create_vcpu(i, &r);
		layout_vcpu_state(IMG_ENTRY, i, GUEST_MEM, SV_START_32, regs, s);
		ck_assert_int_eq(hc(SV_HC_VCPU_SET_SREGS, vm->id, i, 0x21000), 0);
		ck_assert_int_eq(hc(SV_HC_VCPU_SET_REGS, vm->id, i, 0x20000), 0);
	}
	ck_assert_int_eq(vm_finalize(vm), 0);
	assert_measures(vm, &got);
	/* And the tool's records 5 and 7 are there: the stream is longer than
	 * the 64-bit launch's by the two entries' 14 u64s. */
	size_t with = got.n;
	got.n = 0;
	make_image(2);
	ck_assert_int_eq(tool_stream(NULL, err, sizeof(err)), 0);
	ck_assert_uint_eq(with, got.n + 14 * 8);
}
END_TEST

/* The image with an AP start note (SIPI): vCPU 1 waits for INIT/SIPI.
 * The tool writes the INIT state as its record 7 and a record 8; the
 * hypervisor, after the VMM's VCPU_SET_MP_STATE, measures the same. */
static void make_image_with_ap_note(uint32_t ap)
{
	struct elf64_phdr *ph = (void *)(img + sizeof(struct elf64_ehdr));

	make_image(2);
	memcpy(img + 0x41c, (uint32_t[3]){ 10, 4, SV_NOTE_AP_START }, 12);
	memcpy(img + 0x428, "sealvisor\0\0\0", 12);
	memcpy(img + 0x434, &ap, 4);
	ph[1].filesz = ph[1].memsz = 0x38;
}

START_TEST(hypervisor_measures_what_the_tool_computes_for_an_ap_waiting_for_sipi)
{
	static uint64_t pt[PT_SIZE / 8];
	char err[256] = "";

	make_image_with_ap_note(SV_AP_START_SIPI);
	ck_assert_uint_eq(elf64_ap_start(img, sizeof(img)), SV_AP_START_SIPI);
	ck_assert_msg(tool_stream(NULL, err, sizeof(err)) == 0, "%s", err);
	const struct elf64_phdr *ph = elf64_phdrs(img);
	ck_assert_int_eq(memobj_create(MEMOBJ_ALLOW_SEALING, &obj_a), 0);
	ck_assert_int_eq(memobj_add_seals(obj_a, GUEST_SEALS), 0);
	ck_assert_int_eq(memobj_set_size(obj_a, GUEST_MEM), 0);
	ck_assert_int_eq(vm_set_region(vm, GUEST_REGION_GPA, GUEST_MEM, obj_a, GUEST_REGION_OFFSET), 0);
	for (unsigned i = 0; i < 4; i++)
		if (ph[i].type == ELF_PT_LOAD && ph[i].filesz)
			ck_assert_int_eq(vm_populate(vm, ph[i].paddr, img + ph[i].offset, ph[i].filesz), 0);
	layout_page_tables(pt, PT_GPA);
	ck_assert_int_eq(vm_populate(vm, PT_GPA, pt, PT_SIZE), 0);
	for (unsigned i = 0; i < 2; i++) {
		struct sv_vcpu_regs r = layout_vcpu_regs(IMG_ENTRY, i, GUEST_MEM, PT_GPA);
		create_vcpu(i, &r);
	}
	ck_assert_int_eq(hc(SV_HC_VCPU_SET_MP_STATE, vm->id, 1, SV_MP_STATE_WAIT_SIPI), 0);
	ck_assert_int_eq(vm_finalize(vm), 0);
	assert_measures(vm, &got);
	/* Record 8 is the stream's last 3 u64s: 8, vCPU 1, WAIT_SIPI. */
	ck_assert(!memcmp(got.b + got.n - 24, "\x08\0\0\0\0\0\0\0\x01\0\0\0\0\0\0\0"
			  "\x01\0\0\0\0\0\0\0", 24));
	/* Only that record longer than the same image without the note. */
	size_t with = got.n;
	got.n = 0;
	make_image_with_ap_note(SV_AP_START_RUN);
	ck_assert_int_eq(tool_stream(NULL, err, sizeof(err)), 0);
	ck_assert_uint_eq(with, got.n + 3 * 8);
	got.n = 0;
	make_image_with_ap_note(2);
	ck_assert_int_eq(tool_stream(NULL, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, "AP start note says 2"), "%s", err);
}
END_TEST

Suite *measure_suite(void)
{
	Suite *s = suite_create("launch measurement");
	TCase *tc = tcase_create("format v2");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, hypervisor_measures_format_v2);
	tcase_add_test(tc, tool_writes_format_v2_of_the_demo_launch);
	tcase_add_test(tc, tool_refuses_bad_images_naming_the_value);
	tcase_add_test(tc, hypervisor_measures_what_the_tool_computes);
	tcase_add_test(tc, hypervisor_measures_what_the_tool_computes_for_modes_and_cpuid);
	tcase_add_test(tc, hypervisor_measures_what_the_tool_computes_for_an_ap_waiting_for_sipi);
	suite_add_tcase(s, tc);
	return s;
}
