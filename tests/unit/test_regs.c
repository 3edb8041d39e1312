/*
 * vCPU register state and CPUID tables on the host: every rule of
 * vcpu_state_check broken once (and the states the demo VMM uses
 * accepted), the CPUID policy against a scripted host CPU, and the
 * hypercalls' rights and effects through the fake backend, including what
 * the launch measurement records.
 */
#include <string.h>
#include <sealvisor/elf64.h>
#include "arch/x86/vmx/vmcs.h"
#include "guest/vmm/layout.h"
#include "hv/cpuid_policy.h"
#include "hv/hypercall.h"
#include "hv/run.h"
#include "hv/vcpu_state.h"
#include "hv/vm.h"
#include "hv/xstate_policy.h"
#include "tests/unit/fake_virt.h"
#include "tests/unit/unit.h"

#define MB (1UL << 20)

static const struct vcpu_state_limits all_cr4 = { .cr4_ok = 0x330fffUL, .phys_bits = 46 };
static struct sv_regs R;
static struct sv_sregs S;

static void default_state(void)
{
	vcpu_state_default(&(struct sv_vcpu_regs){ .rip = 0x100000, .rsp = 0x5ff8, .cr3 = 0x1000 },
			   &R, &S);
}

static const char *refusal(void)
{
	const char *why = NULL;
	int err = vcpu_state_check(&R, &S, &all_cr4, &why);
	return err ? why : NULL;
}

#define REFUSED(change, needle) do {                                              \
		default_state();                                                  \
		change;                                                           \
		const char *w = refusal();                                        \
		ck_assert_msg(w, "accepted: %s", #change);                        \
		ck_assert_msg(strstr(w, needle), "%s: '%s' does not say '%s'", #change, w, needle); \
	} while (0)

START_TEST(the_default_and_the_demo_start_states_pass)
{
	default_state();
	ck_assert_ptr_null(refusal());
	layout_vcpu_state(0x8000, 0, 96 * MB, SV_START_16, &R, &S);
	ck_assert_msg(!refusal(), "real mode: %s", refusal());
	layout_vcpu_state(0x100000, 1, 96 * MB, SV_START_32, &R, &S);
	ck_assert_msg(!refusal(), "32-bit: %s", refusal());
}
END_TEST

START_TEST(each_broken_rule_is_refused_by_name)
{
	REFUSED(S.cr0 |= 1UL << 6, "CR0 has reserved");
	REFUSED(S.cr0 |= 1UL << 32, "CR0 has reserved");
	REFUSED(S.cr0 &= ~1UL, "CR0.PG without CR0.PE");
	REFUSED(S.cr0 |= X86_CR0_NW, "CR0.NW without CR0.CD");
	REFUSED(S.cr0 &= ~X86_CR0_NE, "CR0.NE");
	REFUSED(S.cr4 |= 1UL << 13, "CR4");                       /* VMXE */
	REFUSED(S.cr4 |= 1UL << 18, "CR4");                       /* OSXSAVE */
	REFUSED(S.efer |= 1UL << 12, "EFER has a bit");           /* SVME */
	REFUSED(S.efer &= ~X86_EFER_LMA, "EFER.LMA differs");
	REFUSED(S.cr0 &= ~X86_CR0_PG, "EFER.LMA differs");
	REFUSED(S.cr4 = 0, "long mode without CR4.PAE");
	REFUSED((S.cr0 = 0x37, S.efer = 0, S.cs.attr = 0xc9b, S.cr4 |= X86_CR4_PCIDE), "PCIDE");
	REFUSED(S.cr3 = 1UL << 46, "CR3 beyond");
	REFUSED(S.cr2 = 1, "CR2 and CR8");
	REFUSED(S.cr8 = 1, "CR2 and CR8");
	REFUSED(S.ds.attr |= 0x1000, "bits 12-15");
	REFUSED(S.ds.limit = 0xfffff000, "limit does not match");
	REFUSED(S.ds.attr &= ~SV_SEG_G, "limit does not match");
	REFUSED(S.cs.attr &= ~SV_SEG_P, "CS not present");
	REFUSED(S.cs.attr = 0xa93, "CS type");                    /* data, PE set */
	REFUSED(S.cs.attr = 0xa9a, "CS type");                    /* not accessed */
	REFUSED(S.cs.attr |= SV_SEG_DB, "CS.L");
	REFUSED((S.cr0 = 0x37, S.efer = 0, S.cr3 = 0), "CS.L outside long mode");
	REFUSED((S.cr0 = 0x37, S.efer = 0, S.cs.attr = 0xc9b, S.ss.attr = 0), "SS unusable");
	REFUSED(S.ss.attr = 0xc9b, "SS not");
	REFUSED(S.ss.attr = 0xcb3, "SS.DPL differs");             /* DPL 1, RPL 0 */
	REFUSED((S.ss.attr = 0xcf3, S.ss.selector = 0x13), "SS.RPL differs");
	REFUSED((S.ss.attr = 0xcf3, S.ss.selector = 0x13, S.cs.selector = 0x0b), "CS.DPL");
	/* Found in review: an unusable SS escaped the DPL = RPL rule (CPL 2
	 * with both RPLs 3, conforming CS). */
	REFUSED((S.ss.attr = 0x40, S.ss.selector = 3, S.cs.attr = 0xa9f, S.cs.selector = 0x0b),
		"SS.DPL differs");
	REFUSED(S.ss.base = 1UL << 32, "CS or SS base");
	REFUSED(S.ds.attr = 0xc92, "DS/ES/FS/GS not an accessed");
	REFUSED(S.es.attr = 0xc99, "execute-only");
	REFUSED(S.es.base = 1UL << 32, "DS/ES base");
	/* Found by test_entry_model.c: VMX without unrestricted guest refuses
	 * the entry (and no segment load gives it). */
	REFUSED(S.gs.selector = 0x11, "DPL below the selector's RPL");
	REFUSED(S.fs.base = 1UL << 47, "FS/GS base");
	REFUSED(S.tr.attr &= ~SV_SEG_P, "TR not a present");
	REFUSED(S.tr.attr = 0x89, "busy TSS");
	REFUSED(S.tr.attr = 0x83, "busy TSS");                    /* 16-bit in long mode */
	REFUSED(S.tr.selector = 0x1c, "TR not");
	REFUSED(S.ldt.attr = 0x89, "LDTR");
	REFUSED(S.gs.base = 0xffff800000000000UL - 1, "FS/GS base");
	/* Found in review: an unusable FS/GS kept its non-canonical base, and
	 * VMX refuses the entry (the vCPU dead) instead of SET saying -EINVAL. */
	REFUSED((S.fs.attr = 0, S.fs.selector = 0, S.fs.base = 1UL << 47), "FS/GS base");
	REFUSED((S.gs.attr = 0, S.gs.selector = 0, S.gs.base = 1UL << 63), "FS/GS base");
	REFUSED(S.tr.base = 1UL << 50, "TR or LDTR base");
	REFUSED(S.gdt.limit = 0x10000, "GDTR/IDTR limit");
	REFUSED(S.idt.pad = 1, "GDTR/IDTR limit");
	REFUSED(S.idt.base = 1UL << 60, "IDTR base");
	REFUSED(R.rflags = 0, "RFLAGS reserved");
	REFUSED(R.rflags |= 1UL << 3, "RFLAGS reserved");
	REFUSED(R.rflags |= X86_RFLAGS_VM, "virtual-8086");
	REFUSED(R.rip = 0x0000800000000000UL, "RIP not canonical");
	REFUSED((S.cr0 = 0x37, S.efer = 0, S.cs.attr = 0xc9b, R.rip = 1UL << 32), "above 4 GiB");
}
END_TEST

/* A VMM cannot start a vCPU in legacy paging (VMX would need its PDPTEs
 * loaded, and nobody starts there); the guest may switch to it itself
 * (hv/cr_policy.c, test_modes.c). */
START_TEST(start_state_refuses_legacy_paging)
{
	default_state();
	S.cr0 = 0x80000033, S.efer = 0, S.cs.attr = 0xc9b;  /* legacy paging */
	ck_assert_str_eq(refusal(), "legacy (32-bit) paging as a start state: not supported, "
				    "only long mode or paging off");
}
END_TEST

START_TEST(real_mode_rules)
{
	layout_vcpu_state(0x8000, 0, 96 * MB, SV_START_16, &R, &S);
	S.cs.attr = 0x93;                       /* read/write data as CS: fine in real mode */
	ck_assert_ptr_null(refusal());
	S.ds.selector = 0x1237;                 /* "RPL 3": no meaning in real mode */
	ck_assert_ptr_null(refusal());
	S.ss.attr = 0xb3;                       /* DPL 1 */
	ck_assert_ptr_nonnull(refusal());
	layout_vcpu_state(0x8000, 0, 96 * MB, SV_START_16, &R, &S);
	S.cr0 |= X86_CR0_PG;
	ck_assert_str_eq(refusal(), "CR0.PG without CR0.PE");
}
END_TEST

/* Found in review: VMX got AR 0x10000 for every unusable segment, so a
 * state at CPL 3 with a null SS (it passes the checks; SVM runs it at
 * CPL 3, the VMCB's CPL being SS.DPL) became SS.DPL 0 on VMX: its entry
 * failed (non-conforming CS.DPL 3 != SS.DPL 0), or with a conforming CS
 * the guest ran at CPL 0 while the measurement said 3. */
START_TEST(vmx_access_rights_keep_the_cpl_of_an_unusable_ss)
{
	ck_assert_uint_eq(vmx_ar(0xa9b), 0xa09b);
	ck_assert_uint_eq(vmx_ar(0xc93), 0xc093);
	ck_assert_uint_eq(vmx_ar(0), 0x10000);
	default_state();
	S.cs = (struct sv_segment){ .selector = 0x2b, .attr = 0xafb, .limit = 0xffffffff };
	S.ss = (struct sv_segment){ .selector = 0x03, .attr = 0x060 };
	ck_assert_ptr_null(refusal());
	ck_assert_uint_eq(vmx_ar(S.ss.attr) & 0x10000, 0x10000);            /* unusable */
	ck_assert_uint_eq((vmx_ar(S.ss.attr) >> 5) & 3, SV_SEG_DPL(S.ss.attr)); /* CPL 3 */
	ck_assert_uint_eq((vmx_ar(S.cs.attr) >> 5) & 3, (vmx_ar(S.ss.attr) >> 5) & 3);
}
END_TEST

/* ---- CPUID policy ---- */

/* A host CPU: max leaves 0xd / 0x80000008, leaf 1 ECX = SSE3 | VMX |
 * MONITOR | x2APIC, EDX = FPU | TSC; leaf 7.0 EBX = FSGSBASE. */
static struct cpuid_regs fake_host(uint32_t leaf, uint32_t sub)
{
	(void)sub;
	switch (leaf) {
	case 0: return (struct cpuid_regs){ 0xd, 0, 0, 0 };
	case 1: return (struct cpuid_regs){ 0, 0, 1 | 1u << 5 | 1u << 3 | 1u << 21, 1 | 1u << 4 };
	case 7: return (struct cpuid_regs){ 0, 1, 0, 0 };
	case 0x80000000: return (struct cpuid_regs){ 0x80000008, 0, 0, 0 };
	case 0x80000001: return (struct cpuid_regs){ 0, 0, 1u << 2, 1u << 29 };
	}
	return (struct cpuid_regs){ 0, 0, 0, 0 };
}

static int policy(const struct sv_cpuid_entry *e, unsigned n, char *why)
{
	return cpuid_policy_check(e, n, fake_host, why, 128);
}

#define POLICY_REFUSES(entry, needle) do {                                      \
		char why[128] = "";                                             \
		const struct sv_cpuid_entry e1[] = { entry };                   \
		ck_assert_int_eq(policy(e1, 1, why), -EINVAL);                  \
		ck_assert_msg(strstr(why, needle), "'%s' does not say '%s'", why, needle); \
	} while (0)

START_TEST(cpuid_policy_refuses_what_it_cannot_give)
{
	POLICY_REFUSES(((struct sv_cpuid_entry){ .function = 1, .ecx = 1u << 5 }), "leaf 0x1 index 0 ECX bit 5: never");
	POLICY_REFUSES(((struct sv_cpuid_entry){ .function = 1, .ecx = 1u << 3 }), "ECX bit 3: never");
	/* x2APIC: the vLAPIC gives it, where the host has it (fake_host does). */
	{
		char why[128] = "";
		const struct sv_cpuid_entry x2[] = { { .function = 1, .ecx = 1u << 21 } };
		ck_assert_int_eq(policy(x2, 1, why), 0);
	}
	POLICY_REFUSES(((struct sv_cpuid_entry){ .function = 0x80000001, .ecx = 1u << 2 }), "ECX bit 2: never");
	POLICY_REFUSES(((struct sv_cpuid_entry){ .function = 1, .ecx = 1u << 9 }), "ECX bit 9: the host");
	POLICY_REFUSES(((struct sv_cpuid_entry){ .function = 1, .edx = 1u << 25 }), "EDX bit 25: the host");
	POLICY_REFUSES(((struct sv_cpuid_entry){ .function = 7, .flags = 1, .ebx = 1u << 7 }), "leaf 0x7 index 0 EBX bit 7");
	POLICY_REFUSES(((struct sv_cpuid_entry){ .function = 7, .index = 1, .flags = 1, .eax = 1u << 4 }), "index 1 EAX bit 4");
	/* Without the index flag the guest reads it for index 0 too. */
	POLICY_REFUSES(((struct sv_cpuid_entry){ .function = 7, .index = 3, .ebx = 1u << 7 }), "EBX bit 7");
	/* Found in review: ... and for index 1, whose EAX holds feature flags
	 * (7.1.EAX bit 4, AVX-VNNI, which fake_host lacks). */
	POLICY_REFUSES(((struct sv_cpuid_entry){ .function = 7, .eax = 1u << 4 }), "index 1 EAX bit 4");
	POLICY_REFUSES(((struct sv_cpuid_entry){ .function = 0x80000001, .edx = 1u << 20 }), "EDX bit 20");
	POLICY_REFUSES(((struct sv_cpuid_entry){ .function = 0x40000000 }), "hypervisor's");
	POLICY_REFUSES(((struct sv_cpuid_entry){ .function = 0x400000ff }), "hypervisor's");
	POLICY_REFUSES(((struct sv_cpuid_entry){ .function = 0, .flags = 2 }), "flags 0x2");
	POLICY_REFUSES(((struct sv_cpuid_entry){ .function = 0, .pad = 1 }), "pad 0x1");
}
END_TEST

START_TEST(cpuid_policy_accepts_a_subset_and_refuses_duplicates)
{
	char why[128] = "";
	struct sv_cpuid_entry t[] = {
		{ .function = 0, .eax = 7, .ebx = 0x1234 },                 /* anything */
		{ .function = 1, .eax = 0x906ea, .ecx = 1 | 1u << 31, .edx = 1 << 4 },
		{ .function = 7, .flags = 1, .ebx = 1 },
		{ .function = 0x80000001, .edx = 1u << 29 },
		{ .function = 4, .index = 0, .flags = 1, .eax = 1 },
		{ .function = 4, .index = 1, .flags = 1, .eax = 2 },
		{ .function = 0x12345678, .edx = ~0u },                      /* no flags there */
	};
	ck_assert_int_eq(policy(t, 7, why), 0);
	t[5].index = 0;
	ck_assert_int_eq(policy(t, 7, why), -EINVAL);
	ck_assert_msg(strstr(why, "entries 4 and 5"), "%s", why);
	t[5].index = 1, t[5].flags = 0;                          /* any index vs index 0 */
	ck_assert_int_eq(policy(t, 7, why), -EINVAL);
}
END_TEST

START_TEST(cpuid_lookup_answers_per_index)
{
	const struct sv_cpuid_entry t[] = {
		{ .function = 4, .index = 1, .flags = 1, .eax = 41 },
		{ .function = 4, .index = 0, .flags = 1, .eax = 40 },
		{ .function = 2, .eax = 20 },
	};
	struct cpuid_regs c;

	ck_assert(cpuid_policy_lookup(t, 3, 4, 0, &c) && c.eax == 40);
	ck_assert(cpuid_policy_lookup(t, 3, 4, 1, &c) && c.eax == 41);
	ck_assert(!cpuid_policy_lookup(t, 3, 4, 2, &c));
	ck_assert(cpuid_policy_lookup(t, 3, 2, 99, &c) && c.eax == 20);
	ck_assert(!cpuid_policy_lookup(t, 3, 3, 0, &c));
}
END_TEST

/* Found in review: CPUID named the physical CPU's APIC ID (no table: a
 * host value, changing as the vCPU moves between CPUs) or one ID for every
 * vCPU (a table is per VM), never the vCPU's own local APIC's. */
START_TEST(cpuid_reports_each_vcpus_own_apic_id)
{
	static struct vm vm;
	static struct vcpu v;

	vm.cpuid[0] = (struct sv_cpuid_entry){ .function = 1, .eax = 0x906ea, .ebx = 0x05010800 };
	vm.cpuid[1] = (struct sv_cpuid_entry){ .function = 0xb, .ebx = 1, .ecx = 0x100, .edx = 5 };
	vm.nr_cpuid = 2;
	v.vm = &vm;
	vlapic_init(&v.lapic, 3, VLAPIC_TSC_PER_TICK);
	v.regs.rax = 1;
	cpuid_emulate_vcpu(&v);
	ck_assert_uint_eq(v.regs.rbx, 0x03010800);         /* the rest of EBX as the table says */
	for (uint64_t sub = 0; sub < 2; sub++) {
		v.regs.rax = 0xb, v.regs.rcx = sub;
		cpuid_emulate_vcpu(&v);
		ck_assert_uint_eq(v.regs.rdx, 3);
		ck_assert_uint_eq(v.regs.rbx, 1);
	}
	v.regs.rax = 0x1f, v.regs.rcx = 0;                 /* not in the table: zeros */
	cpuid_emulate_vcpu(&v);
	ck_assert_uint_eq(v.regs.rax | v.regs.rbx | v.regs.rcx | v.regs.rdx, 0);
	vm.nr_cpuid = 0;                                   /* the host's CPUID */
	v.regs.rax = 1;
	cpuid_emulate_vcpu(&v);
	ck_assert_uint_eq(v.regs.rbx >> 24, 3);
	/* ... without machine check or MTRRs, whose MSRs #GP (hv/msr.c): the
	 * host running this test has them. */
	ck_assert_uint_eq(v.regs.rdx & (1u << 7 | 1u << 12 | 1u << 14), 0);
	v.regs.rax = 0x80000001;
	cpuid_emulate_vcpu(&v);
	ck_assert_uint_eq(v.regs.rdx & (1u << 7 | 1u << 12 | 1u << 14), 0);
	/* ... nor INVPCID, #UD in a VMX guest (hv/cpuid.c) */
	v.regs.rax = 7, v.regs.rcx = 0;
	cpuid_emulate_vcpu(&v);
	ck_assert_uint_eq(v.regs.rbx & (1u << 10), 0);
}
END_TEST

/* ---- the hypercalls ---- */

static struct vm *control, *vm;
static struct memobj *obj;

static void hc_setup(void)
{
	unit_machine(64 * MB);
	ck_assert_int_eq(vm_create_control(4 * MB, &control), 0);
	ck_assert_int_eq(vm_create_guest(&vm), 0);
	ck_assert_int_eq(memobj_create(MEMOBJ_ALLOW_SEALING, &obj), 0);
	ck_assert_int_eq(memobj_add_seals(obj, MEMOBJ_SEAL_GUEST), 0);
	ck_assert_int_eq(memobj_set_size(obj, 2 * MB), 0);
	ck_assert_int_eq(vm_set_region(vm, 0, 2 * MB, obj, 0), 0);
	ck_assert_int_eq(vcpu_create(vm, 0, &(struct sv_vcpu_regs){ .rip = 0x100000, .cr3 = 0x1000 }), 0);
}

static void hc_teardown(void)
{
	vm_destroy(vm);
	vm_destroy(control);
	memobj_close(obj);
	arena_unmap();
}

static int64_t hc(uint64_t nr, uint64_t a, uint64_t b, uint64_t c)
{
	return unit_hc(control, nr, a, b, c, 0, 0);
}

#define AT 0x10000UL      /* where the control partition keeps the structs */

START_TEST(regs_calls_check_every_argument)
{
	struct sv_regs *r = vm_guest_ptr(control, AT, sizeof(*r));

	ck_assert_int_eq(hc(SV_HC_VCPU_GET_REGS, vm->id, 0, AT), 0);
	ck_assert_uint_eq(r->rip, 0x100000);
	ck_assert_int_eq(hc(SV_HC_VCPU_GET_REGS, 0, 0, AT), -ENOENT);            /* control */
	ck_assert_int_eq(hc(SV_HC_VCPU_GET_REGS, vm->id + (1UL << 32), 0, AT), -ENOENT);
	ck_assert_int_eq(hc(SV_HC_VCPU_GET_REGS, vm->id, 1, AT), -EINVAL);       /* not created */
	ck_assert_int_eq(hc(SV_HC_VCPU_GET_SREGS, vm->id, SV_MAX_VCPUS, AT), -EINVAL);
	ck_assert_int_eq(hc(SV_HC_VCPU_GET_SREGS, vm->id, 0, 4 * MB - 8), -EFAULT);
	ck_assert_int_eq(hc(SV_HC_VCPU_SET_SREGS, vm->id, 0, ~0UL), -EFAULT);
	vm->vcpus[0].running = true;                     /* as VCPU_RUN marks it */
	ck_assert_int_eq(hc(SV_HC_VCPU_SET_REGS, vm->id, 0, AT), -EBUSY);
	vm->vcpus[0].running = false;
	ck_assert_int_eq(unit_hc(vm, SV_HC_VCPU_GET_REGS, vm->id, 0, AT, 0, 0), -EPERM);   /* a guest */
}
END_TEST

START_TEST(set_changes_the_state_or_nothing)
{
	struct sv_regs *r = vm_guest_ptr(control, AT, sizeof(*r));
	struct sv_sregs *s = vm_guest_ptr(control, AT + 0x1000, sizeof(*s));
	struct vcpu *v = &vm->vcpus[0];

	ck_assert_int_eq(hc(SV_HC_VCPU_GET_REGS, vm->id, 0, AT), 0);
	ck_assert_int_eq(hc(SV_HC_VCPU_GET_SREGS, vm->id, 0, AT + 0x1000), 0);
	layout_vcpu_state(0x8000, 0, 2 * MB, SV_START_16, r, s);
	ck_assert_int_eq(hc(SV_HC_VCPU_SET_SREGS, vm->id, 0, AT + 0x1000), 0);
	ck_assert_int_eq(hc(SV_HC_VCPU_SET_REGS, vm->id, 0, AT), 0);
	ck_assert_uint_eq(v->arch_pa, 0x8000);           /* the fake backend got RIP */
	ck_assert_uint_eq(v->init_sregs.cr0, 0x32);
	s->cr0 |= X86_CR0_PG;
	ck_assert_int_eq(hc(SV_HC_VCPU_SET_SREGS, vm->id, 0, AT + 0x1000), -EINVAL);
	ck_assert_uint_eq(v->init_sregs.cr0, 0x32);
	s->cr0 = 0x32;
	fake_set_state_err = -EOPNOTSUPP;                /* VMX without unrestricted guest */
	s->ds.selector = 0x40;
	ck_assert_int_eq(hc(SV_HC_VCPU_SET_SREGS, vm->id, 0, AT + 0x1000), -EOPNOTSUPP);
	fake_set_state_err = 0;
	ck_assert_uint_eq(v->init_sregs.ds.selector, 0);
}
END_TEST

/* After FINALIZE the VMM can neither read nor set a confidential VM's
 * registers, nor change its CPUID; and the digest holds what was set. */
START_TEST(finalize_seals_registers_and_cpuid_into_the_digest)
{
	struct sv_sregs *s = vm_guest_ptr(control, AT, sizeof(*s));
	struct sv_cpuid_entry *t = vm_guest_ptr(control, AT + 0x1000, sizeof(*t));
	uint8_t d1[32], d2[32];

	*t = (struct sv_cpuid_entry){ .function = 0x12345678, .eax = 1 };
	ck_assert_int_eq(hc(SV_HC_VM_SET_CPUID, vm->id, AT + 0x1000, SV_MAX_CPUID + 1), -E2BIG);
	ck_assert_int_eq(hc(SV_HC_VM_SET_CPUID, vm->id, AT + 0x1000, 1), 0);
	ck_assert_uint_eq(vm->nr_cpuid, 1);
	ck_assert_int_eq(hc(SV_HC_VCPU_GET_SREGS, vm->id, 0, AT), 0);
	s->cr0 |= 1UL << 16;                             /* WP already set: flip AM instead */
	s->cr0 ^= 1UL << 18;
	ck_assert_int_eq(hc(SV_HC_VCPU_SET_SREGS, vm->id, 0, AT), 0);
	ck_assert_int_eq(vm_finalize(vm), 0);
	memcpy(d1, vm->measurement, 32);
	ck_assert_int_eq(hc(SV_HC_VCPU_GET_REGS, vm->id, 0, AT), -EPERM);
	ck_assert_int_eq(hc(SV_HC_VCPU_SET_REGS, vm->id, 0, AT), -EPERM);
	ck_assert_int_eq(hc(SV_HC_VCPU_GET_SREGS, vm->id, 0, AT), -EPERM);
	ck_assert_int_eq(hc(SV_HC_VCPU_SET_SREGS, vm->id, 0, AT), -EPERM);
	ck_assert_int_eq(hc(SV_HC_VM_SET_CPUID, vm->id, AT + 0x1000, 0), -EPERM);
	/* The guest sees the table: a leaf in it, and zeros for one that is not. */
	struct guest_regs g = { .rax = 0x12345678 };
	cpuid_emulate(vm, &g);
	ck_assert_uint_eq(g.rax, 1);
	g = (struct guest_regs){ .rax = 0 };
	cpuid_emulate(vm, &g);
	ck_assert_uint_eq(g.rax | g.rbx | g.rcx | g.rdx, 0);
	/* The same launch without the AM flip measures differently. */
	hc_teardown();
	hc_setup();
	ck_assert_int_eq(hc(SV_HC_VM_SET_CPUID, vm->id, AT + 0x1000, 1), 0);
	ck_assert_int_eq(vm_finalize(vm), 0);
	memcpy(d2, vm->measurement, 32);
	ck_assert(memcmp(d1, d2, 32));
}
END_TEST

Suite *regs_suite(void)
{
	Suite *s = suite_create("vcpu state and cpuid");
	TCase *tc = tcase_create("checks");

	tcase_add_test(tc, the_default_and_the_demo_start_states_pass);
	tcase_add_test(tc, each_broken_rule_is_refused_by_name);
	tcase_add_test(tc, real_mode_rules);
	tcase_add_test(tc, start_state_refuses_legacy_paging);
	tcase_add_test(tc, cpuid_policy_refuses_what_it_cannot_give);
	tcase_add_test(tc, cpuid_policy_accepts_a_subset_and_refuses_duplicates);
	tcase_add_test(tc, cpuid_lookup_answers_per_index);
	tcase_add_test(tc, vmx_access_rights_keep_the_cpl_of_an_unusable_ss);
	tcase_add_test(tc, cpuid_reports_each_vcpus_own_apic_id);
	suite_add_tcase(s, tc);
	tc = tcase_create("hypercalls");
	tcase_add_checked_fixture(tc, hc_setup, hc_teardown);
	tcase_add_test(tc, regs_calls_check_every_argument);
	tcase_add_test(tc, set_changes_the_state_or_nothing);
	tcase_add_test(tc, finalize_seals_registers_and_cpuid_into_the_digest);
	suite_add_tcase(s, tc);
	return s;
}
