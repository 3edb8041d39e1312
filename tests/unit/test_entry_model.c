/*
 * vcpu_state_check against independent models of what the hardware checks
 * on entry: VMX's guest-state checks (SDM vol. 3, 28.3.1, applied to the
 * VMCS fields as arch/x86/vmx/vmcs.c writes them, vmx_ar included) with
 * and without unrestricted guest, and SVM's VMRUN consistency checks (APM
 * vol. 2, 15.5.1). Random mutations of valid start states (its own, not
 * the demo VMM's layout, and the INIT/SIPI one): every state the check
 * accepts must enter on both backends, at the same CPL. Written from the
 * manuals, not from hv/vcpu_state.c, so that the two can disagree (the
 * review of hypercalls 40-43 found three such disagreements by hand, this
 * test a fourth).
 */
#include <string.h>
#include "arch/x86/vmx/vmcs.h"
#include "hv/vcpu_state.h"
#include "tests/unit/unit.h"

#define PHYS_BITS 46
#define CR4_HOST 0x330fffUL           /* what the host lets guests set (test_regs.c's) */
#define CR4_VMXE (1UL << 13)
#define MB (1UL << 20)

static bool canon(uint64_t a)
{
	return (uint64_t)((int64_t)(a << 16) >> 16) == a;
}

static bool g_ok(uint32_t limit, uint32_t ar)
{
	bool g = ar & (1u << 15);
	return ((limit & 0xfff) == 0xfff || !g) && (!(limit >> 20) || g);
}

struct vmx_seg { uint16_t sel; uint64_t base; uint32_t limit, ar; };

static struct vmx_seg vseg(const struct sv_segment *g)
{
	return (struct vmx_seg){ g->selector, g->base, g->limit, vmx_ar(g->attr) };
}

#define UNUSABLE(s) ((s).ar & 0x10000u)
#define TYPE(s) ((s).ar & 0xf)
#define DPL(s) (((s).ar >> 5) & 3)
#define RPL(s) ((s).sel & 3)

/* A usable code/data segment's access rights: S, P, reserved bits, G. */
static bool vmx_ar_common(const struct vmx_seg *s)
{
	return (s->ar & (1u << 4)) && (s->ar & (1u << 7)) && !(s->ar & 0xf00) &&
	       !(s->ar >> 17) && g_ok(s->limit, s->ar);
}

/* SDM 28.3.1.1-3, for a guest that is not in virtual-8086 mode. */
static const char *vmx_refuses(const struct sv_regs *r, const struct sv_sregs *st, bool ug)
{
	uint64_t cr0 = st->cr0 | (ug ? X86_CR0_NE : X86_CR0_NE | X86_CR0_PE | X86_CR0_PG);
	uint64_t cr4 = st->cr4 | CR4_VMXE, efer = st->efer;
	bool ia32e = efer & X86_EFER_LMA, pe = cr0 & X86_CR0_PE, pg = cr0 & X86_CR0_PG;
	struct vmx_seg cs = vseg(&st->cs), ss = vseg(&st->ss), tr = vseg(&st->tr),
		       ldtr = vseg(&st->ldt);
	struct vmx_seg data[4] = { vseg(&st->ds), vseg(&st->es), vseg(&st->fs), vseg(&st->gs) };

	if (cr0 != st->cr0 && !ug)
		return "CR0 fixed bits (PE, PG without unrestricted guest)";
	if (cr0 >> 32 || (pg && !pe))
		return "CR0";
	if (cr4 & ~(CR4_HOST | CR4_VMXE))
		return "CR4 fixed1";
	if (st->cr3 >> PHYS_BITS)
		return "CR3";
	if (ia32e ? !(pg && (cr4 & X86_CR4_PAE)) : (cr4 & X86_CR4_PCIDE))
		return "IA-32e mode guest vs CR0.PG, CR4.PAE, CR4.PCIDE";
	if ((efer & ~0xd01UL) || (pg && !!(efer & X86_EFER_LME) != ia32e))
		return "EFER";
	if ((tr.sel & 4) || (!UNUSABLE(ldtr) && (ldtr.sel & 4)))
		return "TR/LDTR selector TI";
	if (!ug && RPL(ss) != RPL(cs))
		return "SS.RPL != CS.RPL";
	if (!canon(tr.base) || !canon(data[2].base) || !canon(data[3].base) ||
	    (!UNUSABLE(ldtr) && !canon(ldtr.base)))
		return "TR/FS/GS/LDTR base";
	if (cs.base >> 32 || (!UNUSABLE(ss) && ss.base >> 32) ||
	    (!UNUSABLE(data[0]) && data[0].base >> 32) || (!UNUSABLE(data[1]) && data[1].base >> 32))
		return "CS/SS/DS/ES base";
	/* CS */
	if (UNUSABLE(cs) || !vmx_ar_common(&cs))
		return "CS access rights";
	if (!(TYPE(cs) == 9 || TYPE(cs) == 11 || TYPE(cs) == 13 || TYPE(cs) == 15 ||
	      (ug && TYPE(cs) == 3)))
		return "CS type";
	if (TYPE(cs) == 3 && DPL(cs))
		return "CS type 3 with DPL != 0";
	if ((TYPE(cs) == 9 || TYPE(cs) == 11) && DPL(cs) != DPL(ss))
		return "non-conforming CS.DPL != SS.DPL";
	if ((TYPE(cs) == 13 || TYPE(cs) == 15) && DPL(cs) > DPL(ss))
		return "conforming CS.DPL > SS.DPL";
	if (ia32e && (cs.ar & (1u << 13)) && (cs.ar & (1u << 14)))
		return "CS.L and CS.D";
	/* SS */
	if (!UNUSABLE(ss) && (!vmx_ar_common(&ss) || (TYPE(ss) != 3 && TYPE(ss) != 7)))
		return "SS access rights";
	if (!ug && DPL(ss) != RPL(ss))
		return "SS.DPL != SS.RPL";
	if ((TYPE(cs) == 3 || !pe) && DPL(ss))
		return "SS.DPL != 0 (real mode or CS type 3)";
	/* DS, ES, FS, GS */
	for (int i = 0; i < 4; i++) {
		const struct vmx_seg *d = &data[i];
		if (UNUSABLE(*d))
			continue;
		if (!vmx_ar_common(d) || !(d->ar & 1) || ((d->ar & 8) && !(d->ar & 2)))
			return "DS-GS access rights";
		if (!ug && TYPE(*d) <= 11 && DPL(*d) < RPL(*d))
			return "DS-GS DPL < RPL";
	}
	/* TR, LDTR */
	if (UNUSABLE(tr) || (tr.ar & 0xffff0f90u) != 0x80 || !g_ok(tr.limit, tr.ar) ||
	    !(TYPE(tr) == 11 || (!ia32e && TYPE(tr) == 3)))
		return "TR access rights";
	if (!UNUSABLE(ldtr) && ((ldtr.ar & 0xffff0f9fu) != 0x82 || !g_ok(ldtr.limit, ldtr.ar)))
		return "LDTR access rights";
	if (!canon(st->gdt.base) || !canon(st->idt.base) || st->gdt.limit >> 16 ||
	    st->idt.limit >> 16)
		return "GDTR/IDTR";
	if ((ia32e && (cs.ar & (1u << 13))) ? !canon(r->rip) : r->rip >> 32)
		return "RIP";
	if ((r->rflags & ~0x3f7fd7UL) || !(r->rflags & 2) ||
	    ((ia32e || !pe) && (r->rflags & X86_RFLAGS_VM)))
		return "RFLAGS";
	return NULL;
}

/* APM 15.5.1: VMRUN's consistency checks on the state save area. */
static const char *svm_refuses(const struct sv_sregs *st)
{
	uint64_t efer = st->efer | (1UL << 12);
	bool lme_pg = (efer & X86_EFER_LME) && (st->cr0 & X86_CR0_PG);

	if (!(st->cr0 & X86_CR0_CD) && (st->cr0 & X86_CR0_NW))
		return "CR0.CD clear, CR0.NW set";
	if (st->cr0 >> 32)
		return "CR0[63:32]";
	if (lme_pg && st->cr3 >> 52)
		return "CR3 MBZ";
	if (st->cr4 & ~CR4_HOST)
		return "CR4 MBZ";
	if (efer & ~0xf01UL & ~(1UL << 12))     /* SCE LME LMA NXE SVME here */
		return "EFER MBZ";
	if (lme_pg && !(st->cr4 & X86_CR4_PAE))
		return "LME and PG without PAE";
	if (lme_pg && !(st->cr0 & X86_CR0_PE))
		return "LME and PG without PE";
	if (lme_pg && (st->cr4 & X86_CR4_PAE) && (st->cs.attr & SV_SEG_L) &&
	    (st->cs.attr & SV_SEG_DB))
		return "LME, PG, PAE, CS.L and CS.D";
	return NULL;
}

/* ---- random states ---- */

static uint64_t rng = 0x5ea1f00dcafeUL;

static uint64_t rnd(void)
{
	rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
	return rng;
}

static const uint64_t bases[] = { 0, 0x1000, 1UL << 32, 1UL << 47, 0xffff800000000000UL,
				  0x0000800000000000UL, 1UL << 63 };
static const uint32_t limits[] = { 0, 0xfff, 0xffff, 0xfffff, 0x67, 0xffffffff, 0xfffff000,
				   0x100fff };

static void mutate_seg(struct sv_segment *g)
{
	switch (rnd() % 5) {
	case 0: g->attr ^= (uint16_t)(1u << (rnd() % 12)); break;
	case 1: g->attr = (uint16_t)(rnd() & 0xfff); break;
	case 2: g->selector ^= (uint16_t)(1u << (rnd() % 4)); break;
	case 3: g->base = bases[rnd() % (sizeof(bases) / sizeof(bases[0]))]; break;
	default: g->limit = limits[rnd() % (sizeof(limits) / sizeof(limits[0]))]; break;
	}
}

static void mutate(struct sv_regs *r, struct sv_sregs *s)
{
	struct sv_segment *segs[] = { &s->cs, &s->ds, &s->es, &s->fs, &s->gs, &s->ss, &s->tr,
				      &s->ldt };

	switch (rnd() % 8) {
	case 0: case 1: case 2: mutate_seg(segs[rnd() % 8]); break;
	case 3: s->cr0 ^= 1UL << (rnd() % 32); break;
	case 4: s->cr4 ^= 1UL << (rnd() % 22); break;
	case 5: s->efer ^= 1UL << (unsigned[]){ 0, 8, 10, 11 }[rnd() % 4]; break;
	case 6: r->rflags ^= 1UL << (rnd() % 22); break;
	default: r->rip = bases[rnd() % (sizeof(bases) / sizeof(bases[0]))]; break;
	}
}

static void seed_state(unsigned k, struct sv_regs *r, struct sv_sregs *s)
{
	switch (k % 5) {
	case 0:
		vcpu_state_default(&(struct sv_vcpu_regs){ .rip = MB, .cr3 = 0x1000 }, r, s);
		break;
	case 1:                                         /* 64-bit, CPL 3 */
		vcpu_state_default(&(struct sv_vcpu_regs){ .rip = MB, .cr3 = 0x1000 }, r, s);
		s->cs = (struct sv_segment){ 0, 0xffffffff, 0x2b, 0xafb };
		s->ss = s->ds = s->es = (struct sv_segment){ 0, 0xffffffff, 0x23, 0xcf3 };
		break;
	case 4:                                         /* after INIT and SIPI 0x10 */
		vcpu_state_init(r, s);
		vcpu_state_sipi(r, s, 0x10);
		break;
	case 2:                                         /* real mode */
		*r = (struct sv_regs){ .rip = 0x8000, .rflags = 2 };
		*s = (struct sv_sregs){ .cs = { 0, 0xffff, 0, 0x9b }, .ds = { 0, 0xffff, 0, 0x93 },
			.tr = { 0, 0xffff, 0, 0x8b }, .cr0 = 0x30 };
		s->es = s->fs = s->gs = s->ss = s->ds;
		break;
	default:                                        /* 32-bit, paging off */
		*r = (struct sv_regs){ .rip = MB, .rflags = 2 };
		*s = (struct sv_sregs){ .cs = { 0, 0xffffffff, 0x08, 0xc9b },
			.ds = { 0, 0xffffffff, 0x10, 0xc93 }, .tr = { 0, 0x67, 0x18, 0x8b },
			.cr0 = 0x31 };
		s->es = s->fs = s->gs = s->ss = s->ds;
		break;
	}
}

START_TEST(every_accepted_state_enters_on_both_backends_at_one_cpl)
{
	const struct vcpu_state_limits lim = { .cr4_ok = CR4_HOST, .phys_bits = PHYS_BITS };
	unsigned accepted = 0, mutated_accepted = 0;

	for (unsigned n = 0; n < 400000; n++) {
		struct sv_regs r;
		struct sv_sregs s;
		const char *why;
		unsigned steps = n < 5 ? 0 : 1 + rnd() % 3;

		seed_state(n, &r, &s);
		for (unsigned i = 0; i < steps; i++)
			mutate(&r, &s);
		if (vcpu_state_check(&r, &s, &lim, &why)) {
			ck_assert_msg(steps, "start state %u refused: %s", n, why);
			continue;
		}
		accepted++;
		mutated_accepted += steps > 0;
		bool paged = (s.cr0 & X86_CR0_PE) && (s.cr0 & X86_CR0_PG);
		const char *vmx = vmx_refuses(&r, &s, true);
		/* Without unrestricted guest the backend runs only paged states. */
		const char *vmx_no_ug = paged ? vmx_refuses(&r, &s, false) : NULL;
		const char *svm = svm_refuses(&s);
		unsigned svm_cpl = SV_SEG_DPL(s.ss.attr), vmx_cpl = (vmx_ar(s.ss.attr) >> 5) & 3;

		ck_assert_msg(!vmx && !vmx_no_ug && !svm && svm_cpl == vmx_cpl,
			      "state %u accepted but VMX: %s, VMX without UG: %s, SVM: %s, "
			      "CPL %u (SVM) %u (VMX); cs %x/%x ss %x/%x ds %x/%x fs %x/%x base %lx "
			      "gs %x/%x base %lx cr0 %lx efer %lx", n, vmx ? vmx : "ok",
			      vmx_no_ug ? vmx_no_ug : "ok", svm ? svm : "ok", svm_cpl, vmx_cpl,
			      s.cs.selector, s.cs.attr, s.ss.selector, s.ss.attr, s.ds.selector,
			      s.ds.attr, s.fs.selector, s.fs.attr, s.fs.base, s.gs.selector,
			      s.gs.attr, s.gs.base, s.cr0, s.efer);
	}
	/* The mutations must reach accepted states other than the seeds. */
	ck_assert_uint_gt(mutated_accepted, 10000);
	ck_assert_uint_gt(accepted, mutated_accepted);
}
END_TEST

Suite *entry_model_suite(void)
{
	Suite *s = suite_create("entry model");
	TCase *tc = tcase_create("random states");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, every_accepted_state_enters_on_both_backends_at_one_cpl);
	suite_add_tcase(s, tc);
	return s;
}
