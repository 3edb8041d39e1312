/*
 * vCPU register state: the default 64-bit start and the checks of a state
 * a VMM sets. The rules are the subset of the SDM's VM-entry guest-state
 * checks (vol. 3, 28.3.1) and the APM's VMRUN consistency checks (vol. 2,
 * 15.5.1) that a state built from these structures can break; a state that
 * passes enters on both backends (VMX: with unrestricted guest when
 * CR0.PE or CR0.PG is 0, the backend's -EOPNOTSUPP otherwise).
 */
#include <stdbool.h>
#include <sealvisor/errno.h>
#include "arch/x86/x86.h"
#include "hv/vcpu_state.h"
#include "hv/xstate_policy.h"

#define CR0_VALID   0xe005003fUL   /* PE MP EM TS ET NE WP AM NW CD PG */
#define EFER_VALID  0xd01UL        /* SCE LME LMA NXE */
#define RFLAGS_VALID 0x3f7fd7UL
#define RFLAGS_FIXED 0x2UL

static struct sv_segment seg(uint16_t sel, uint16_t attr, uint32_t limit)
{
	return (struct sv_segment){ .base = 0, .limit = limit, .selector = sel, .attr = attr };
}

void vcpu_state_default(const struct sv_vcpu_regs *r, struct sv_regs *regs, struct sv_sregs *s)
{
	*regs = (struct sv_regs){ .rip = r->rip, .rsp = r->rsp, .rdi = r->rdi, .rsi = r->rsi,
				  .rdx = r->rdx, .rcx = r->rcx, .rflags = RFLAGS_FIXED };
	*s = (struct sv_sregs){
		.cs = seg(0x08, 0xa9b, 0xffffffff),
		.ds = seg(0x10, 0xc93, 0xffffffff), .es = seg(0x10, 0xc93, 0xffffffff),
		.fs = seg(0x10, 0xc93, 0xffffffff), .gs = seg(0x10, 0xc93, 0xffffffff),
		.ss = seg(0x10, 0xc93, 0xffffffff),
		.tr = seg(0x18, 0x08b, 0x67), .ldt = seg(0, 0, 0),
		.cr0 = 0x80050033, .cr3 = r->cr3, .cr4 = 0x620,   /* PG AM WP NE ET MP PE; OSXMMEXCPT OSFXSR PAE */
		.efer = X86_EFER_LMA | X86_EFER_LME | (1UL << 11),
	};
}

#define CR0_INIT 0x60000030UL   /* CD NW NE ET */

void vcpu_state_init(struct sv_regs *r, struct sv_sregs *s)
{
	*r = (struct sv_regs){ .rip = 0xfff0, .rflags = RFLAGS_FIXED };
	*s = (struct sv_sregs){
		.cs = { .base = 0xffff0000, .limit = 0xffff, .selector = 0xf000, .attr = 0x9b },
		.ds = seg(0, 0x93, 0xffff), .es = seg(0, 0x93, 0xffff), .fs = seg(0, 0x93, 0xffff),
		.gs = seg(0, 0x93, 0xffff), .ss = seg(0, 0x93, 0xffff),
		.tr = seg(0, 0x8b, 0xffff), .ldt = seg(0, 0x82, 0xffff),
		.gdt = { .limit = 0xffff }, .idt = { .limit = 0xffff },
		.cr0 = CR0_INIT,
	};
}

void vcpu_state_sipi(struct sv_regs *r, struct sv_sregs *s, uint8_t vv)
{
	s->cs.selector = (uint16_t)(vv << 8);
	s->cs.base = (uint64_t)vv << 12;
	r->rip = 0;
}

static bool canonical(uint64_t a)
{
	return (uint64_t)((int64_t)(a << 16) >> 16) == a;
}

#define FAIL(msg) do { *why = (msg); return -EINVAL; } while (0)

static int check_control(const struct sv_sregs *s, const struct vcpu_state_limits *lim,
			 const char **why)
{
	bool pg = s->cr0 & X86_CR0_PG, lme = s->efer & X86_EFER_LME, lma = s->efer & X86_EFER_LMA;

	if (s->cr0 & ~CR0_VALID)
		FAIL("CR0 has reserved bits set");
	if (pg && !(s->cr0 & X86_CR0_PE))
		FAIL("CR0.PG without CR0.PE");
	if ((s->cr0 & X86_CR0_NW) && !(s->cr0 & X86_CR0_CD))
		FAIL("CR0.NW without CR0.CD");
	if (!(s->cr0 & X86_CR0_NE))
		FAIL("CR0.NE clear (VMX cannot enter a guest with it clear)");
	if (s->cr4 & ~lim->cr4_ok)
		FAIL("CR4 has a bit set that is reserved or not given to guests");
	if (s->efer & ~EFER_VALID)
		FAIL("EFER has a bit set other than SCE, LME, LMA, NXE");
	if (lma != (lme && pg))
		FAIL("EFER.LMA differs from EFER.LME && CR0.PG");
	if (lma && !(s->cr4 & X86_CR4_PAE))
		FAIL("long mode without CR4.PAE");
	if (pg && !lma)
		FAIL("legacy (32-bit) paging as a start state: not supported, only long mode or paging off");
	if ((s->cr4 & X86_CR4_PCIDE) && !lma)
		FAIL("CR4.PCIDE outside long mode");
	if (lim->phys_bits < 64 && s->cr3 >> lim->phys_bits)
		FAIL("CR3 beyond the physical-address width");
	if (s->cr2 || s->cr8)
		FAIL("CR2 and CR8 must be 0");
	return 0;
}

/* Limit and G must agree: the byte limit is a 20-bit limit, scaled by 4 KiB
 * when G is set. */
static bool limit_matches_g(const struct sv_segment *g)
{
	if (g->attr & SV_SEG_G)
		return (g->limit & 0xfff) == 0xfff;
	return g->limit <= 0xfffff;
}

static int check_common(const struct sv_segment *g, const char **why)
{
	if (g->attr & 0xf000)
		FAIL("segment attr bits 12-15 set");
	if ((g->attr & SV_SEG_P) && !limit_matches_g(g))
		FAIL("segment limit does not match its G bit");
	return 0;
}

static int check_cs_ss(const struct sv_sregs *s, bool pe, bool lma, const char **why)
{
	unsigned ct = SV_SEG_TYPE(s->cs.attr), cdpl = SV_SEG_DPL(s->cs.attr);
	unsigned sdpl = SV_SEG_DPL(s->ss.attr);
	bool ss_usable = s->ss.attr & SV_SEG_P;

	if (!(s->cs.attr & SV_SEG_P) || !(s->cs.attr & SV_SEG_S))
		FAIL("CS not present or not a code/data segment");
	if (!((ct & 9) == 9 || (!pe && ct == 3)))
		FAIL("CS type not accessed code (or, with CR0.PE clear, read/write data)");
	if ((s->cs.attr & SV_SEG_L) && (!lma || (s->cs.attr & SV_SEG_DB)))
		FAIL("CS.L outside long mode, or with CS.D");
	if (!ss_usable && !lma)
		FAIL("SS unusable outside long mode");
	if (ss_usable && (!(s->ss.attr & SV_SEG_S) || (SV_SEG_TYPE(s->ss.attr) | 4) != 7))
		FAIL("SS not an accessed read/write data segment");
	if (!pe && (sdpl || cdpl))
		FAIL("CS or SS DPL not 0 with CR0.PE clear");
	if (pe && (s->ss.selector & 3) != (s->cs.selector & 3))
		FAIL("SS.RPL differs from CS.RPL");
	/* Usable or not: SS.DPL is the CPL on both backends, and VMX without
	 * unrestricted guest checks it against the RPL either way. */
	if (pe && sdpl != (s->ss.selector & 3u))
		FAIL("SS.DPL differs from SS.RPL");
	if (ct == 9 || ct == 11 ? cdpl != sdpl : ct != 3 && cdpl > sdpl)
		FAIL("CS.DPL does not fit SS.DPL (the CPL)");
	if ((s->cs.base | (ss_usable ? s->ss.base : 0)) >> 32)
		FAIL("CS or SS base above 4 GiB");
	return 0;
}

static int check_data(const struct sv_segment *g, bool high_base_ok, bool pe, const char **why)
{
	/* FS and GS bases are used in 64-bit mode whether or not the
	 * selector is null, and VMX checks them usable or not (SDM 28.3.1.2). */
	if (high_base_ok && !canonical(g->base))
		FAIL("FS/GS base not canonical (usable or not)");
	if (!(g->attr & SV_SEG_P))
		return 0;
	if (!(g->attr & SV_SEG_S) || !(g->attr & 1))
		FAIL("DS/ES/FS/GS not an accessed code/data segment");
	if ((g->attr & 8) && !(g->attr & 2))
		FAIL("DS/ES/FS/GS an execute-only code segment");
	/* No load gives a data or non-conforming code segment DPL < RPL,
	 * and VMX without unrestricted guest refuses it (SDM 28.3.1.2). */
	if (pe && SV_SEG_TYPE(g->attr) <= 11 && SV_SEG_DPL(g->attr) < (g->selector & 3u))
		FAIL("DS/ES/FS/GS DPL below the selector's RPL");
	if (high_base_ok ? !canonical(g->base) : g->base >> 32)
		FAIL("DS/ES base above 4 GiB or FS/GS base not canonical");
	return 0;
}

static int check_system(const struct sv_sregs *s, bool lma, const char **why)
{
	unsigned tt = SV_SEG_TYPE(s->tr.attr);

	if (!(s->tr.attr & SV_SEG_P) || (s->tr.attr & SV_SEG_S) || (s->tr.selector & 4))
		FAIL("TR not a present system segment from the GDT");
	if (tt != 11 && (lma || tt != 3))
		FAIL("TR not a busy TSS (32/64-bit, or 16-bit outside long mode)");
	if ((s->ldt.attr & SV_SEG_P) &&
	    ((s->ldt.attr & SV_SEG_S) || SV_SEG_TYPE(s->ldt.attr) != 2 || (s->ldt.selector & 4)))
		FAIL("LDTR usable but not an LDT descriptor from the GDT");
	if (!canonical(s->tr.base) || !canonical(s->ldt.base))
		FAIL("TR or LDTR base not canonical");
	if (s->gdt.limit > 0xffff || s->idt.limit > 0xffff || s->gdt.pad || s->idt.pad)
		FAIL("GDTR/IDTR limit above 0xffff or pad not 0");
	if (!canonical(s->gdt.base) || !canonical(s->idt.base))
		FAIL("GDTR or IDTR base not canonical");
	return 0;
}

static int check_regs(const struct sv_regs *r, const struct sv_sregs *s, const char **why)
{
	bool long64 = (s->efer & X86_EFER_LMA) && (s->cs.attr & SV_SEG_L);

	if ((r->rflags & ~RFLAGS_VALID) || !(r->rflags & RFLAGS_FIXED))
		FAIL("RFLAGS reserved bits wrong");
	if (r->rflags & X86_RFLAGS_VM)
		FAIL("RFLAGS.VM: virtual-8086 mode is not supported");
	if (long64 ? !canonical(r->rip) : r->rip >> 32)
		FAIL("RIP not canonical (64-bit code) or above 4 GiB");
	return 0;
}

int vcpu_state_check(const struct sv_regs *r, const struct sv_sregs *s,
		     const struct vcpu_state_limits *lim, const char **why)
{
	const struct sv_segment *all[] = { &s->cs, &s->ds, &s->es, &s->fs, &s->gs, &s->ss,
					   &s->tr, &s->ldt };
	bool pe = s->cr0 & X86_CR0_PE, lma = s->efer & X86_EFER_LMA;
	int err = check_control(s, lim, why);

	for (unsigned i = 0; !err && i < sizeof(all) / sizeof(all[0]); i++)
		err = check_common(all[i], why);
	if (!err)
		err = check_cs_ss(s, pe, lma, why);
	if (!err)
		err = check_data(&s->ds, false, pe, why) ?: check_data(&s->es, false, pe, why) ?:
		      check_data(&s->fs, true, pe, why) ?: check_data(&s->gs, true, pe, why);
	if (!err)
		err = check_system(s, lma, why);
	return err ?: check_regs(r, s, why);
}

/* CR4: exactly the bits a guest may set itself with MOV to CR4 (the xstate
 * policy's cr4_allowed_for): never VMXE, SMXE, LA57, PKE, CET; OSXSAVE
 * only where XCR0 is switched. */
void vcpu_state_host_limits(struct vcpu_state_limits *lim)
{
	struct cpuid_regs l1 = cpuid(1, 0), l7 = cpuid(0, 0).eax >= 7 ? cpuid(7, 0)
							: (struct cpuid_regs){ 0 };

	lim->cr4_ok = cr4_allowed_for(l1.ecx, l7.ebx, l7.ecx, xstate_host.xsave);
	lim->phys_bits = cpuid(0x80000000, 0).eax >= 0x80000008 ?
			 (cpuid(0x80000008, 0).eax & 0xff) : 36;
}
