/*
 * A virtual local APIC, x2APIC register view (MSRs 0x800-0x8ff and
 * IA32_TSC_DEADLINE): the register file, interrupt acceptance and
 * priority (IRR/ISR/TMR, TPR/PPR, EOI), the LVT timer's arithmetic, and
 * ICR decoding. Pure model: no CPU access, time comes in as an argument
 * (TSC cycles; the APIC timer ticks at TSC / tsc_per_tick), IPIs come out
 * as a struct for the caller to route. Host-tested (tests/unit/test_vlapic.c).
 *
 * A guest's MSR exits reach it through hv/vlapic_msr.c; docs/ARCHITECTURE.md
 * ("Interrupts") lists what is and is not integrated.
 */
#ifndef HV_VLAPIC_H
#define HV_VLAPIC_H

#include <stdbool.h>
#include <stdint.h>

#define MSR_APIC_BASE     0x1bu
#define X2APIC_MSR_BASE   0x800u
#define X2APIC_MSR_END    0x8ffu
#define MSR_TSC_DEADLINE  0x6e0u

/* Register numbers: x2APIC MSR - 0x800 (= xAPIC offset >> 4). */
enum vlapic_reg {
	VLAPIC_ID = 0x02, VLAPIC_VERSION = 0x03, VLAPIC_TPR = 0x08, VLAPIC_PPR = 0x0a,
	VLAPIC_EOI = 0x0b, VLAPIC_LDR = 0x0d, VLAPIC_SVR = 0x0f, VLAPIC_ISR0 = 0x10,
	VLAPIC_TMR0 = 0x18, VLAPIC_IRR0 = 0x20, VLAPIC_ESR = 0x28, VLAPIC_LVT_CMCI = 0x2f,
	VLAPIC_ICR = 0x30, VLAPIC_LVT_TIMER = 0x32, VLAPIC_LVT_THERMAL = 0x33,
	VLAPIC_LVT_PERF = 0x34, VLAPIC_LVT_LINT0 = 0x35, VLAPIC_LVT_LINT1 = 0x36,
	VLAPIC_LVT_ERROR = 0x37, VLAPIC_TIMER_ICR = 0x38, VLAPIC_TIMER_CCR = 0x39,
	VLAPIC_TIMER_DCR = 0x3e, VLAPIC_SELF_IPI = 0x3f,
};

/* The guests' APIC timer ticks at the TSC's rate (divide by 1): a guest
 * calibrates it against the TSC, as against any other clock. */
#define VLAPIC_TSC_PER_TICK 1
/* A periodic timer never fires more often than this, whatever its count
 * and divider (KVM's min_timer_period_us, 200 by default, for the same
 * reason): each expiry of a running guest's timer costs an exit of the
 * physical timer (hv/run.c arms it for the guest's next expiry), so a
 * hostile guest with initial count 1 and divide by 1 would otherwise
 * have the CPU spend its time in exits and the run loop rather than in
 * any guest, and its VMM's slice would be all exits. */
#define VLAPIC_MIN_PERIOD_US 200
#define VLAPIC_NR_LVT 7            /* CMCI, timer, thermal, perf, LINT0, LINT1, error */
#define LVT_MASKED          (1u << 16)
#define LVT_TIMER_PERIODIC  (1u << 17)
#define LVT_TIMER_DEADLINE  (2u << 17)
#define LVT_DELIVERY_MODE   (7u << 8)
#define LVT_EXTINT          (7u << 8)
#define LVT_LINT0_INDEX     4      /* in struct vlapic's lvt[] */
#define SVR_ENABLED         (1u << 8)
#define ESR_SEND_ILLEGAL    (1u << 5)
#define ESR_RECV_ILLEGAL    (1u << 6)

/* IA32_APIC_BASE: the page is fixed at the default address (a write
 * moving it is #GP); EN and EXTD give the mode. */
#define APIC_BASE_ADDR    0xfee00000UL
#define APIC_BASE_BSP     (1UL << 8)
#define APIC_BASE_EXTD    (1UL << 10)
#define APIC_BASE_EN      (1UL << 11)
enum vlapic_mode { VLAPIC_DISABLED, VLAPIC_XAPIC, VLAPIC_X2APIC };

enum vlapic_delivery { IPI_FIXED = 0, IPI_LOWEST = 1, IPI_NMI = 4, IPI_INIT = 5, IPI_SIPI = 6 };
enum vlapic_shorthand { IPI_DEST = 0, IPI_SELF = 1, IPI_ALL = 2, IPI_OTHERS = 3 };

/* What an ICR write asks for; the caller routes it (valid = false: none). */
struct vlapic_ipi {
	bool valid;
	uint8_t vector, mode, shorthand;   /* enum vlapic_delivery / vlapic_shorthand */
	bool logical;
	/* INIT with level 0, trigger level: "INIT level de-assert", which
	 * modern CPUs ignore (SDM 11.6.1): the router drops it. */
	bool init_deassert;
	uint32_t dest;
};

/* x2APIC's broadcast destination, physical or logical (SDM 11.12.9). */
#define X2APIC_BROADCAST 0xffffffffu

struct vlapic {
	uint64_t base;              /* IA32_APIC_BASE */
	uint32_t id, tpr, svr, esr, esr_pending;
	uint32_t ldr, dfr;          /* xAPIC mode's (x2APIC derives LDR from the id) */
	uint32_t isr[8], irr[8], tmr[8];
	/* Vectors whose EOI ended a level-triggered interrupt (TMR set) and
	 * that the VMM has not yet heard of (SV_EXIT_EOI): its I/O APIC
	 * waits for them to clear Remote IRR. */
	uint32_t eoi_exit[8];
	uint32_t lvt[VLAPIC_NR_LVT];
	uint32_t timer_icr, timer_dcr;
	uint64_t icr;
	uint64_t tsc_per_tick;      /* TSC cycles per APIC timer tick (divide by 1) */
	uint64_t min_period;        /* TSC cycles: the periodic timer's floor */
	uint64_t timer_start;       /* TSC when the count was loaded (or last period began) */
	bool timer_armed;
	uint64_t tsc_deadline;      /* 0: disarmed */
};

/* The state after RESET: xAPIC mode at the default base (BSP: vCPU 0,
 * whose LINT0 is then ExtINT, unmasked, as KVM and QEMU leave it),
 * without a period floor: the caller sets min_period (in TSC cycles,
 * VLAPIC_MIN_PERIOD_US at the TSC's rate); resets keep it. */
void vlapic_init(struct vlapic *l, uint32_t id, uint64_t tsc_per_tick);
/* An INIT IPI: the power-up state again, except the id (and the timer's
 * rate, which is the machine's). Only by the APIC's own vCPU: other
 * vCPUs read id and tpr of it while routing, and those two words are
 * only ever rewritten with (id) or set to (tpr 0) a whole value. */
void vlapic_reset(struct vlapic *l);
/* The x2APIC logical id (LDR, read-only): cluster id >> 4 in bits
 * 31:16, bit (id & 15) in bits 15:0 (SDM 11.12.10.2). */
uint32_t vlapic_ldr(const struct vlapic *l);
/* Whether an IPI's destination field names this APIC: physical, its id
 * or the broadcast id; logical (x2APIC cluster model), the broadcast id,
 * or the same cluster and an intersecting bit mask. The one place
 * destinations are matched (xAPIC flat/cluster modes belong here too). */
bool vlapic_dest_match(const struct vlapic *l, uint32_t dest, bool logical);
enum vlapic_mode vlapic_mode(const struct vlapic *l);
/* Whether the 8259's INTR (an external interrupt at the CPU's pin) gets
 * through this APIC: while it is globally disabled (the pin goes straight
 * to the core), or through LINT0 unmasked in ExtINT mode (KVM's
 * kvm_apic_accept_pic_intr; LINT0 in another mode is not modelled and
 * passes nothing). */
bool vlapic_accepts_extint(const struct vlapic *l);
/* A WRMSR to IA32_APIC_BASE: 0, or -EINVAL (#GP) for reserved bits, a
 * moved base, EXTD without EN, x2APIC -> xAPIC or disabled -> x2APIC
 * (SDM 11.12.5). Disabling resets the APIC (state as after RESET). */
int vlapic_set_base(struct vlapic *l, uint64_t val);
/* Writable bits of an LVT register (0: reg is not an LVT). */
uint32_t vlapic_lvt_mask(uint32_t reg);
/* 0, or -EINVAL where an x2APIC access raises #GP (reserved register,
 * read of a write-only one, write of a read-only one, reserved bits). */
int vlapic_read(struct vlapic *l, uint32_t reg, uint64_t now, uint64_t *val);
int vlapic_write(struct vlapic *l, uint32_t reg, uint64_t val, uint64_t now,
		 struct vlapic_ipi *ipi);
int vlapic_write_deadline(struct vlapic *l, uint64_t tsc);

/* An interrupt arrives (IPI, LVT, device): into the IRR (and TMR if
 * level). Vectors 0-15 are illegal: the receive-illegal-vector error. */
void vlapic_accept(struct vlapic *l, uint8_t vector, bool level);
uint32_t vlapic_ppr(const struct vlapic *l);
/* The vector to deliver now: the highest in the IRR whose priority class
 * is above the PPR's, else -1 (also while software-disabled). */
int vlapic_pending(const struct vlapic *l);
/* Delivery started: the vector moves from IRR to ISR. */
void vlapic_ack(struct vlapic *l, uint8_t vector);

/* A level-triggered interrupt's EOI the VMM must hear of: the lowest
 * such vector, taken (cleared), or -1 if none. */
int vlapic_take_eoi_exit(struct vlapic *l);

/* Current count of the timer at `now` (0 in TSC-deadline mode, or when
 * a one-shot has run out). */
uint32_t vlapic_timer_ccr(const struct vlapic *l, uint64_t now);
/* TSC of the next expiry, or UINT64_MAX if none is armed (a masked
 * timer still counts: the caller may skip arming for it). */
uint64_t vlapic_timer_next(const struct vlapic *l);
/* If the timer expired by `now`: raises its LVT vector (unless masked),
 * re-arms a periodic one (from its previous expiry, so periods do not
 * drift), disarms the others; true if it fired. */
bool vlapic_timer_tick(struct vlapic *l, uint64_t now);

#endif
