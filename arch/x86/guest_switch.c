/* Hand-switched guest state (arch/x86/guest_switch.h). */
#include "arch/x86/cpu_features.h"
#include "arch/x86/guest_switch.h"
#include "arch/x86/percpu.h"
#include "arch/x86/x86.h"
#include "hv/arch.h"
#include "hv/msr.h"

/* Each CPU's own SPEC_CTRL, put back after every guest. */
static uint64_t host_spec_ctrl[HV_MAX_CPUS];

#define DR_ACCESS(n)                                                            \
	static inline uint64_t get_dr##n(void)                                  \
	{                                                                       \
		uint64_t v;                                                     \
		__asm__ volatile("mov %%dr" #n ", %0" : "=r"(v));               \
		return v;                                                       \
	}                                                                       \
	static inline void set_dr##n(uint64_t v)                                \
	{                                                                       \
		__asm__ volatile("mov %0, %%dr" #n : : "r"(v));                 \
	}
DR_ACCESS(0)
DR_ACCESS(1)
DR_ACCESS(2)
DR_ACCESS(3)
DR_ACCESS(6)

uint64_t *guest_switch_msr(struct vcpu *v, uint32_t index)
{
	if (index == MSR_IA32_TSC_AUX && cpu_features.tsc_aux)
		return &v->sw.tsc_aux;
	if (index == MSR_IA32_SPEC_CTRL && cpu_features.spec_ctrl)
		return &v->sw.spec_ctrl;
	return NULL;
}

/* With host interrupts off (both backends enter with IF=0). */
void guest_switch_enter(struct vcpu *v, bool with_msrs)
{
	struct vcpu_switched *s = &v->sw;

	set_dr0(s->dr[0]);
	set_dr1(s->dr[1]);
	set_dr2(s->dr[2]);
	set_dr3(s->dr[3]);
	if (cpu_features.tsc_aux)
		wrmsr(MSR_IA32_TSC_AUX, s->tsc_aux);
	if (cpu_features.spec_ctrl) {
		host_spec_ctrl[arch_cpu_id()] = rdmsr(MSR_IA32_SPEC_CTRL);
		if (s->spec_ctrl != host_spec_ctrl[arch_cpu_id()])
			wrmsr(MSR_IA32_SPEC_CTRL, s->spec_ctrl);
	}
	if (!with_msrs)
		return;
	set_dr6(s->dr6);
	wrmsr(MSR_IA32_STAR, s->star);
	wrmsr(MSR_IA32_LSTAR, s->lstar);
	wrmsr(MSR_IA32_CSTAR, s->cstar);
	wrmsr(MSR_IA32_SFMASK, s->sfmask);
	wrmsr(MSR_IA32_KERNEL_GS_BASE, s->kernel_gs_base);
}

/* What the guest may have changed without an exit: MOV to DR0-3/DR6 (no
 * MOV DR intercept), SWAPGS. The rest only changes through msr_set. */
void guest_switch_exit(struct vcpu *v, bool with_msrs)
{
	struct vcpu_switched *s = &v->sw;

	s->dr[0] = get_dr0();
	s->dr[1] = get_dr1();
	s->dr[2] = get_dr2();
	s->dr[3] = get_dr3();
	if (cpu_features.spec_ctrl && s->spec_ctrl != host_spec_ctrl[arch_cpu_id()])
		wrmsr(MSR_IA32_SPEC_CTRL, host_spec_ctrl[arch_cpu_id()]);
	if (!with_msrs)
		return;
	s->dr6 = get_dr6();
	s->kernel_gs_base = rdmsr(MSR_IA32_KERNEL_GS_BASE);
}
