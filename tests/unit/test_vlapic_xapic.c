/* The xAPIC side of the virtual local APIC: IA32_APIC_BASE's modes and
 * transitions (hv/vlapic.c), the xAPIC register map (hv/vlapic_xapic.c),
 * xAPIC destination matching, and the page's faults decoded and emulated
 * on the fake backend (hv/vlapic_mmio.c, hv/guest_fetch.c). */
#include <string.h>
#include <sealvisor/errno.h>
#include <sealvisor/hypercall.h>
#include "hv/vlapic.h"
#include "hv/vlapic_mmio.h"
#include "hv/vlapic_msr.h"
#include "hv/vlapic_xapic.h"
#include "hv/vm.h"
#include "hv/partition.h"
#include "mm/memobj.h"
#include "mm/phys.h"
#include "tests/unit/fake_virt.h"
#include "tests/unit/unit.h"

#define MB (1UL << 20)
#define EN APIC_BASE_EN
#define EXTD APIC_BASE_EXTD
#define BSP APIC_BASE_BSP

static struct vlapic l;
static struct vlapic_ipi ipi;

static uint32_t xr(uint32_t off)
{
	uint32_t v = 0xdeadbeef;
	ck_assert_int_eq(vlapic_xapic_read(&l, off, 0, &v), 0);
	return v;
}

static void xw(uint32_t off, uint32_t val)
{
	ck_assert_int_eq(vlapic_xapic_write(&l, off, val, 0, &ipi), 0);
}

START_TEST(apic_base_modes_follow_the_sdm_transitions)
{
	vlapic_init(&l, 0, 1);
	ck_assert_uint_eq(l.base, APIC_BASE_ADDR | EN | BSP);
	ck_assert_int_eq(vlapic_mode(&l), VLAPIC_XAPIC);
	vlapic_init(&l, 2, 1);
	ck_assert_uint_eq(l.base, APIC_BASE_ADDR | EN);          /* not the BSP */
	ck_assert_int_eq(vlapic_set_base(&l, APIC_BASE_ADDR | EXTD), -EINVAL);      /* EXTD w/o EN */
	ck_assert_int_eq(vlapic_set_base(&l, 0xfec00000 | EN), -EINVAL);             /* moved */
	ck_assert_int_eq(vlapic_set_base(&l, APIC_BASE_ADDR | EN | 1), -EINVAL);     /* reserved */
	ck_assert_int_eq(vlapic_set_base(&l, (1UL << 52) | APIC_BASE_ADDR | EN), -EINVAL);
	ck_assert_int_eq(vlapic_set_base(&l, APIC_BASE_ADDR | EN | BSP), 0);         /* BSP: ignored */
	ck_assert_uint_eq(l.base, APIC_BASE_ADDR | EN);
	l.tpr = 0x20;
	ck_assert_int_eq(vlapic_set_base(&l, APIC_BASE_ADDR | EN | EXTD), 0);        /* xAPIC -> x2APIC */
	ck_assert_int_eq(vlapic_mode(&l), VLAPIC_X2APIC);
	ck_assert_uint_eq(l.tpr, 0x20);                                              /* state kept */
	ck_assert_int_eq(vlapic_set_base(&l, APIC_BASE_ADDR | EN), -EINVAL);         /* x2APIC -> xAPIC */
	ck_assert_int_eq(vlapic_set_base(&l, APIC_BASE_ADDR), 0);                    /* -> disabled */
	ck_assert_int_eq(vlapic_mode(&l), VLAPIC_DISABLED);
	ck_assert_uint_eq(l.tpr, 0);                                                 /* reset */
	ck_assert_uint_eq(l.id, 2);
	ck_assert_int_eq(vlapic_set_base(&l, APIC_BASE_ADDR | EN | EXTD), -EINVAL);  /* disabled -> x2APIC */
	ck_assert_int_eq(vlapic_set_base(&l, APIC_BASE_ADDR | EN), 0);               /* -> xAPIC */
	ck_assert_int_eq(vlapic_mode(&l), VLAPIC_XAPIC);
}
END_TEST

START_TEST(the_xapic_register_map)
{
	vlapic_init(&l, 3, 1);
	ck_assert_uint_eq(xr(0x20), 3u << 24);                   /* ID in 31:24 */
	xw(0x20, 7u << 24);                                      /* read-only here */
	ck_assert_uint_eq(xr(0x20), 3u << 24);
	ck_assert_uint_eq(xr(0x30) & 0xff, 0x14);
	xw(0x80, 0x1234);                                        /* TPR: reserved bits ignored */
	ck_assert_uint_eq(xr(0x80), 0x34);
	ck_assert_uint_eq(xr(0xa0), 0x34);                       /* PPR */
	ck_assert_uint_eq(xr(0xe0), 0xffffffff);                 /* DFR: flat */
	xw(0xd0, 0x12345678);
	ck_assert_uint_eq(xr(0xd0), 0x12000000);                 /* LDR: 31:24 */
	xw(0xe0, 0);
	ck_assert_uint_eq(xr(0xe0), 0x0fffffff);                 /* cluster */
	ck_assert_uint_eq(xr(0x3f0), 0);                         /* no SELF IPI register */
	ck_assert_uint_eq(xr(0x400), 0);                         /* reserved: 0 */
	ck_assert_uint_eq(xr(0x0b0), 0);                         /* EOI: write-only */
	xw(0xf0, 0xffffffff);                                    /* SVR */
	ck_assert_uint_eq(xr(0xf0), 0x1ff);
	xw(0x320, 0xffffffff);                                   /* LVT timer: mode 3 reserved */
	ck_assert_uint_eq(xr(0x320), 0x300ff & 0x700ff);
	xw(0x380, 1000);
	ck_assert_uint_eq(xr(0x380), 1000);
	uint32_t v;
	ck_assert_int_eq(vlapic_xapic_read(&l, 0x24, 0, &v), -EINVAL);
	ck_assert_int_eq(vlapic_xapic_write(&l, 0x1000, 0, 0, &ipi), -EINVAL);
}
END_TEST

START_TEST(icr_high_holds_the_destination_and_icr_low_sends)
{
	vlapic_init(&l, 0, 1);
	xw(0x310, 0x02abcdef);
	ck_assert_uint_eq(xr(0x310), 0x02000000);
	ck_assert(!ipi.valid);
	xw(0x300, 0x1000 | 0x4000 | 0x41);                       /* delivery-status bit: read-only */
	ck_assert(ipi.valid);
	ck_assert_uint_eq(ipi.vector, 0x41);
	ck_assert_uint_eq(ipi.dest, 2);
	ck_assert(!ipi.logical && ipi.shorthand == IPI_DEST && ipi.mode == IPI_FIXED);
	ck_assert_uint_eq(xr(0x300), 0x4041);
	xw(0x300, 0x800 | 0x42);                                 /* logical */
	ck_assert(ipi.valid && ipi.logical);
	xw(0x300, 0x40000 | 0x43);                               /* self */
	ck_assert(ipi.valid && ipi.shorthand == IPI_SELF);
	xw(0x300, 0x100 | 0x44);                                 /* lowest priority */
	ck_assert(ipi.valid && ipi.mode == IPI_LOWEST);
	xw(0x300, 0x200 | 0x45);                                 /* SMI: not sent */
	ck_assert(!ipi.valid);
}
END_TEST

START_TEST(logical_destinations_flat_and_cluster)
{
	vlapic_init(&l, 5, 1);
	ck_assert(vlapic_xapic_match(&l, 5, false));
	ck_assert(!vlapic_xapic_match(&l, 4, false));
	ck_assert(vlapic_xapic_match(&l, 0xff, false));
	ck_assert(vlapic_xapic_match(&l, 0xff, true));
	xw(0xd0, 0x24u << 24);                                   /* flat: bits 2 and 5 */
	ck_assert(vlapic_xapic_match(&l, 0x04, true));
	ck_assert(vlapic_xapic_match(&l, 0x21, true));
	ck_assert(!vlapic_xapic_match(&l, 0x11, true));
	xw(0xe0, 0x0fffffff);                                    /* cluster 2, member bit 2 */
	ck_assert(vlapic_xapic_match(&l, 0x24, true));
	ck_assert(vlapic_xapic_match(&l, 0x2c, true));
	ck_assert(!vlapic_xapic_match(&l, 0x34, true));          /* other cluster */
	ck_assert(!vlapic_xapic_match(&l, 0x21, true));          /* other member */
}
END_TEST

/* ---- the page's faults, end to end on the fake backend ---- */

#define RUN_GPA 0x2000
#define CODE 0x1000
static struct vm *control, *vm;
static struct memobj *obj;
static struct sv_run *run;

static void put_bytes(uint64_t gpa, const void *src, unsigned len)
{
	uint64_t pa;
	unsigned order;
	ck_assert_int_eq(memobj_get_page(obj, gpa >> 12, &pa, &order), 0);
	memcpy((uint8_t *)phys_to_virt(pa) + (gpa & 0xfff), src, len);
	memobj_put_page(obj, pa);
}

static void mmio_setup(void)
{
	unit_machine(64 * MB);
	ck_assert_int_eq(vm_create_control(4 * MB, &control), 0);
	ck_assert_int_eq(memobj_create(MEMOBJ_ALLOW_SEALING, &obj), 0);
	ck_assert_int_eq(memobj_add_seals(obj, MEMOBJ_SEAL_GUEST), 0);
	ck_assert_int_eq(memobj_set_size(obj, 2 * MB), 0);
	ck_assert_int_eq(vm_create_guest(&vm), 0);
	ck_assert_int_eq(vm_set_region(vm, 0, 2 * MB, obj, 0), 0);
	ck_assert_int_eq(vcpu_create(vm, 1, &(struct sv_vcpu_regs){ 0 }), 0);
	fake_launch(vm);
	run = vm_guest_ptr(control, RUN_GPA, sizeof(*run));
	memset(run, 0, sizeof(*run));
}

static void mmio_teardown(void)
{
	memobj_close(obj);
}

/* vCPU 0 executes `code` at CODE and faults at gpa. */
static void fault(const void *code, unsigned len, uint64_t gpa, bool write)
{
	put_bytes(CODE, code, len);
	vm->vcpus[0].arch_pa = CODE;
	fake_next_exit = fake_nexits = 0;
	fake_exits[fake_nexits++] = (struct vm_exit){ .reason = VMEXIT_NPF, .gpa = gpa,
						       .write = write };
	ck_assert_int_eq(unit_hc(control, SV_HC_VCPU_RUN, vm->id, 0, RUN_GPA, 0, 0), 0);
}

START_TEST(a_region_over_the_apic_page_is_refused)
{
	struct vm *other;
	struct memobj *o;
	ck_assert_int_eq(memobj_create(MEMOBJ_ALLOW_SEALING, &o), 0);
	ck_assert_int_eq(memobj_add_seals(o, MEMOBJ_SEAL_GUEST), 0);
	ck_assert_int_eq(memobj_set_size(o, 32 * MB), 0);
	ck_assert_int_eq(vm_create_guest(&other), 0);
	ck_assert_int_eq(vm_set_region(other, 0xfee00000, 4096, o, 0), -EINVAL);
	ck_assert_int_eq(vm_set_region(other, 0xfe000000, 32 * MB, o, 0), -EINVAL);
	ck_assert_int_eq(vm_set_region(other, 0xfedff000, 8192, o, 0), -EINVAL);
	ck_assert_int_eq(vm_set_region(other, 0xfee01000, 4096, o, 0), 0);
	ck_assert_int_eq(vm_set_region(other, 0xfec00000, 0x200000, o, 0x1000), 0);
	vm_destroy(other);
	memobj_close(o);
}
END_TEST

START_TEST(register_reads_and_writes_through_decoded_instructions)
{
	struct vcpu *v = &vm->vcpus[0];
	static const uint8_t rd_version[] = { 0x8b, 0x04, 0x25, 0x30, 0x00, 0xe0, 0xfe };  /* mov eax,[abs] */
	static const uint8_t wr_tpr[] = { 0x44, 0x89, 0x38 };     /* mov [rax], r15d */
	static const uint8_t wr_svr_imm[] = { 0xc7, 0x00, 0xff, 0x01, 0x00, 0x00 };  /* mov dword [rax], 0x1ff */

	v->regs.rax = 0xffffffff00000000UL;
	fault(rd_version, sizeof(rd_version), 0xfee00030, false);
	ck_assert_uint_eq(run->exit_reason, SV_EXIT_SHUTDOWN);   /* emulated: the next exit ends it */
	ck_assert_uint_eq(v->regs.rax, 0x60014);                 /* upper half zeroed */
	ck_assert_uint_eq(v->arch_pa, CODE + sizeof(rd_version));
	v->regs.r15 = 0x50;
	fault(wr_tpr, sizeof(wr_tpr), 0xfee00080, true);
	ck_assert_uint_eq(v->lapic.tpr, 0x50);
	fault(wr_svr_imm, sizeof(wr_svr_imm), 0xfee000f0, true);
	ck_assert_uint_eq(v->lapic.svr, 0x1ff);
}
END_TEST

START_TEST(an_ipi_through_icr_high_and_low_reaches_the_other_vcpu)
{
	struct vcpu *v = &vm->vcpus[0], *v1 = &vm->vcpus[1];
	static const uint8_t wr[] = { 0x89, 0x08 };              /* mov [rax], ecx */

	v->regs.rcx = 1u << 24;
	fault(wr, sizeof(wr), 0xfee00310, true);
	v->regs.rcx = 0x66;
	fault(wr, sizeof(wr), 0xfee00300, true);
	ck_assert(v1->apic_posted[1] & 1UL << (0x66 - 64));
}
END_TEST

START_TEST(odd_accesses_read_zero_write_nothing_and_the_rest_go_to_the_vmm)
{
	struct vcpu *v = &vm->vcpus[0];
	static const uint8_t rd_byte[] = { 0x8a, 0x00 };         /* mov al, [rax] */
	static const uint8_t wr_word[] = { 0x66, 0x89, 0x08 };   /* mov [rax], cx */
	static const uint8_t add[] = { 0x01, 0x08 };             /* add [rax], ecx */
	static const uint8_t rd_misaligned[] = { 0x8b, 0x00 };

	v->regs.rax = 0x1111;
	fault(rd_byte, sizeof(rd_byte), 0xfee00030, false);
	ck_assert_uint_eq(v->regs.rax, 0x1100);
	v->regs.rcx = 0xff;
	fault(wr_word, sizeof(wr_word), 0xfee00080, true);
	ck_assert_uint_eq(v->lapic.tpr, 0);
	v->regs.rax = 0x1111;
	fault(rd_misaligned, sizeof(rd_misaligned), 0xfee00034, false);
	ck_assert_uint_eq(v->regs.rax, 0);
	fault(add, sizeof(add), 0xfee00080, true);
	ck_assert_uint_eq(run->exit_reason, SV_EXIT_MMIO);
	ck_assert_uint_eq(run->mmio.gpa, 0xfee00080);
	ck_assert_uint_eq(run->mmio.size, 0);                    /* not decoded */
	ck_assert_uint_eq(v->arch_pa, CODE);                     /* not skipped */
	/* In x2APIC mode the page is not the APIC's. */
	uint64_t x2 = APIC_BASE_ADDR | EN | EXTD | BSP;
	ck_assert_int_eq(vlapic_msr_write(v, MSR_APIC_BASE, &x2), 0);
	fault(rd_misaligned, sizeof(rd_misaligned), 0xfee00030, false);
	ck_assert_uint_eq(run->exit_reason, SV_EXIT_MMIO);
}
END_TEST

/* Any other unbacked gpa: the VMM gets size and value, and its answer
 * to a read lands in the register on the next VCPU_RUN (issue 12 item 4). */
START_TEST(decoded_mmio_for_the_vmm_write_value_and_read_answer)
{
	struct vcpu *v = &vm->vcpus[0];
	static const uint8_t wr[] = { 0x48, 0x89, 0x08 };        /* mov [rax], rcx */
	static const uint8_t rd[] = { 0x48, 0x0f, 0xbf, 0x18 };  /* movsx rbx, word [rax] */
	static const uint8_t rsp[] = { 0x48, 0x89, 0x20 };       /* mov [rax], rsp */

	v->regs.rcx = 0x1122334455667788UL;
	v->regs.rdx = 0x99;
	fault(wr, sizeof(wr), 0x3ff00010, true);
	ck_assert_uint_eq(run->exit_reason, SV_EXIT_MMIO);
	ck_assert_uint_eq(run->mmio.gpa, 0x3ff00010);
	ck_assert_uint_eq(run->mmio.size, 8);
	ck_assert_uint_eq(run->mmio.data, 0x1122334455667788UL);
	ck_assert_uint_eq(v->arch_pa, CODE);                     /* completes on the next run */
	fake_next_exit = fake_nexits = 0;
	ck_assert_int_eq(unit_hc(control, SV_HC_VCPU_RUN, vm->id, 0, RUN_GPA, 0, 0), 0);
	ck_assert_uint_eq(v->arch_pa, CODE + sizeof(wr));

	v->regs.rbx = 0x1234;
	fault(rd, sizeof(rd), 0x3ff00020, false);
	ck_assert_uint_eq(run->mmio.size, 2);
	ck_assert_uint_eq(run->mmio.data, 0);
	run->mmio.data = 0xfffffffffff8000UL;                    /* only 2 bytes count */
	fake_next_exit = fake_nexits = 0;
	ck_assert_int_eq(unit_hc(control, SV_HC_VCPU_RUN, vm->id, 0, RUN_GPA, 0, 0), 0);
	ck_assert_uint_eq(v->regs.rbx, 0xffffffffffff8000UL);
	ck_assert_uint_eq(v->arch_pa, CODE + sizeof(rd));
	ck_assert_uint_eq(v->regs.rdx, 0x99);                    /* nothing else touched */

	/* A fault while delivering an event (its stack or IDT in the device
	 * page) is not the instruction's access: not decoded. */
	put_bytes(CODE, wr, sizeof(wr));
	v->arch_pa = CODE;
	fake_next_exit = fake_nexits = 0;
	fake_exits[fake_nexits++] = (struct vm_exit){ .reason = VMEXIT_NPF, .gpa = 0xfee00080,
						       .write = true, .in_delivery = true };
	ck_assert_int_eq(unit_hc(control, SV_HC_VCPU_RUN, vm->id, 0, RUN_GPA, 0, 0), 0);
	ck_assert_uint_eq(run->exit_reason, SV_EXIT_MMIO);
	ck_assert_uint_eq(run->mmio.size, 0);
	ck_assert_uint_eq(v->lapic.tpr, 0);
	fake_next_exit = fake_nexits = 0;
	ck_assert_int_eq(unit_hc(control, SV_HC_VCPU_RUN, vm->id, 0, RUN_GPA, 0, 0), 0);
	ck_assert_uint_eq(v->arch_pa, CODE);

	fault(rsp, sizeof(rsp), 0x3ff00030, true);
	ck_assert_uint_eq(run->mmio.size, 0);                    /* RSP: not decoded */
	ck_assert_uint_eq(run->mmio.data, 0);
	fake_next_exit = fake_nexits = 0;
	ck_assert_int_eq(unit_hc(control, SV_HC_VCPU_RUN, vm->id, 0, RUN_GPA, 0, 0), 0);
	ck_assert_uint_eq(v->arch_pa, CODE);                     /* and nothing to complete */
}
END_TEST

/* Through the guest's own 4-level tables: va 512 GiB + x -> gpa x. */
START_TEST(the_instruction_is_fetched_through_the_guest_page_tables)
{
	struct vcpu *v = &vm->vcpus[0];
	static const uint64_t pml4e = 0x11000 | 1, pdpte = 0x12000 | 1, pde = 0 | 1 | 0x80;
	static const uint8_t rd[] = { 0x8b, 0x00 };

	put_bytes(0x10000 + 8, &pml4e, 8);
	put_bytes(0x11000, &pdpte, 8);
	put_bytes(0x12000, &pde, 8);
	put_bytes(CODE, rd, sizeof(rd));
	fake_code = (struct guest_code){ .cs_l = true, .cr0 = 1UL << 31 | 1, .cr3 = 0x10000,
					.cr4 = 1UL << 5, .efer = 1UL << 10 | 1UL << 8 };
	v->arch_pa = (1UL << 39) + CODE;
	fake_next_exit = fake_nexits = 0;
	fake_exits[fake_nexits++] = (struct vm_exit){ .reason = VMEXIT_NPF, .gpa = 0xfee00030 };
	ck_assert_int_eq(unit_hc(control, SV_HC_VCPU_RUN, vm->id, 0, RUN_GPA, 0, 0), 0);
	ck_assert_uint_eq(v->regs.rax, 0x60014);
	ck_assert_uint_eq(v->arch_pa, (1UL << 39) + CODE + 2);
	/* Unmapped code: undecodable, the VMM sees it. */
	v->arch_pa = (2UL << 39) + CODE;
	fake_next_exit = fake_nexits = 0;
	fake_exits[fake_nexits++] = (struct vm_exit){ .reason = VMEXIT_NPF, .gpa = 0xfee00030 };
	ck_assert_int_eq(unit_hc(control, SV_HC_VCPU_RUN, vm->id, 0, RUN_GPA, 0, 0), 0);
	ck_assert_uint_eq(run->exit_reason, SV_EXIT_MMIO);
}
END_TEST

/* One read of the version register by the instruction at va, as the
 * guest's mode c sees it: emulated (true, RIP past it) or not. */
static bool version_read_emulated(struct guest_code c, uint64_t va)
{
	struct vcpu *v = &vm->vcpus[0];
	static const uint8_t rd[] = { 0x8b, 0x00 };              /* mov eax, [eax] */

	put_bytes(CODE, rd, sizeof(rd));
	fake_code = c;
	v->arch_pa = va;
	v->regs.rax = 0;
	fake_next_exit = fake_nexits = 0;
	fake_exits[fake_nexits++] = (struct vm_exit){ .reason = VMEXIT_NPF, .gpa = 0xfee00030 };
	ck_assert_int_eq(unit_hc(control, SV_HC_VCPU_RUN, vm->id, 0, RUN_GPA, 0, 0), 0);
	if (v->regs.rax != 0x60014)
		return false;
	ck_assert_uint_eq(v->arch_pa, va + sizeof(rd));
	return true;
}

/* A guest that switched itself to 32-bit or PAE paging (hv/cr_policy.h)
 * has its instruction fetched through those tables, not a 4-level walk
 * of the same CR3 (which read other bytes of the guest, or none).
 * va 0x40001000 -> gpa CODE in both. Failed before guest_fetch_insn
 * followed the paging mode. */
START_TEST(the_instruction_is_fetched_through_32_bit_and_pae_tables)
{
	const uint64_t cr0 = 1UL << 31 | 1, va = 0x40001000;
	static const uint32_t pde32 = 0x11000 | 1, pte32 = CODE | 1;
	static const uint64_t pdpte = 0x21000 | 1, pde = 0x22000 | 1, pte = CODE | 1;

	put_bytes(0x10000 + (va >> 22) * 4, &pde32, 4);
	put_bytes(0x11000 + ((va >> 12) & 1023) * 4, &pte32, 4);
	ck_assert(version_read_emulated((struct guest_code){ .cr0 = cr0, .cr3 = 0x10000, .cs_d = true }, va));

	put_bytes(0x20000 + (va >> 30) * 8, &pdpte, 8);
	put_bytes(0x21000 + ((va >> 21) & 511) * 8, &pde, 8);
	put_bytes(0x22000 + ((va >> 12) & 511) * 8, &pte, 8);
	ck_assert(version_read_emulated((struct guest_code){ .cr0 = cr0, .cr4 = 1UL << 5,
							     .cr3 = 0x20000, .cs_d = true }, va));
	/* The same CR3 with a 4-level walk finds nothing there. */
	ck_assert(!version_read_emulated((struct guest_code){ .cr0 = cr0, .cr4 = 1UL << 5,
							      .efer = 1UL << 10 | 1UL << 8, .cr3 = 0x20000,
							      .cs_l = true }, va));
}
END_TEST

/* CS.L means 64-bit code only in long mode: a legacy-mode guest that
 * loaded a descriptor with L set runs 16-bit code (D clear), which is
 * not decoded; read as 64-bit code, 89 06 34 12 (mov [0x1234], ax, 4
 * bytes) became mov [rsi], eax (2 bytes): TPR written, RIP 2 bytes on,
 * into the displacement. Failed before the fetch asked for EFER.LMA. */
START_TEST(cs_l_outside_long_mode_is_not_64_bit_code)
{
	struct vcpu *v = &vm->vcpus[0];
	static const uint8_t wr[] = { 0x89, 0x06, 0x34, 0x12 };

	fake_code = (struct guest_code){ .cr0 = 1, .cs_l = true };
	v->regs.rax = 0x50;
	fault(wr, sizeof(wr), 0xfee00080, true);
	ck_assert_uint_eq(run->exit_reason, SV_EXIT_MMIO);
	ck_assert_uint_eq(run->mmio.size, 0);                    /* not decoded */
	ck_assert_uint_eq(v->lapic.tpr, 0);
	ck_assert_uint_eq(v->arch_pa, CODE);
	fake_code = (struct guest_code){ .cr0 = 1, .cs_l = true, .cs_d = true };
	ck_assert(version_read_emulated(fake_code, CODE));      /* L and D: 32-bit code */
}
END_TEST

Suite *vlapic_xapic_suite(void)
{
	Suite *s = suite_create("vlapic_xapic");
	TCase *tc = tcase_create("model");
	TCase *mm = tcase_create("mmio");

	tcase_add_test(tc, apic_base_modes_follow_the_sdm_transitions);
	tcase_add_test(tc, the_xapic_register_map);
	tcase_add_test(tc, icr_high_holds_the_destination_and_icr_low_sends);
	tcase_add_test(tc, logical_destinations_flat_and_cluster);
	suite_add_tcase(s, tc);
	tcase_add_checked_fixture(mm, mmio_setup, mmio_teardown);
	tcase_add_test(mm, a_region_over_the_apic_page_is_refused);
	tcase_add_test(mm, register_reads_and_writes_through_decoded_instructions);
	tcase_add_test(mm, an_ipi_through_icr_high_and_low_reaches_the_other_vcpu);
	tcase_add_test(mm, odd_accesses_read_zero_write_nothing_and_the_rest_go_to_the_vmm);
	tcase_add_test(mm, the_instruction_is_fetched_through_the_guest_page_tables);
	tcase_add_test(mm, the_instruction_is_fetched_through_32_bit_and_pae_tables);
	tcase_add_test(mm, cs_l_outside_long_mode_is_not_64_bit_code);
	tcase_add_test(mm, decoded_mmio_for_the_vmm_write_value_and_read_answer);
	suite_add_tcase(s, mm);
	return s;
}
