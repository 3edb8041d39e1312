/* CPUID tables a VMM sets (hv/cpuid_policy.h): what may be in one. */
#include <sealvisor/errno.h>
#include "hv/cpuid_policy.h"
#include "hv/hypercall.h"
#include "hv/log.h"
#include "lib/fmt.h"

#define VMX_BIT     5      /* leaf 1 ECX */
#define MONITOR_BIT 3      /* leaf 1 ECX */
#define HV_BIT      31     /* leaf 1 ECX: always ours to set */
#define SVM_BIT     2      /* leaf 0x80000001 ECX */

static const char *const reg_names[4] = { "EAX", "EBX", "ECX", "EDX" };

/* The feature-flag registers (bit i set = feature present): leaf, sub,
 * register index (0 EAX .. 3 EDX). */
static const struct { uint32_t leaf, sub; unsigned reg; } flag_regs[] = {
	{ 1, 0, 2 }, { 1, 0, 3 }, { 7, 0, 1 }, { 7, 0, 2 }, { 7, 0, 3 }, { 7, 1, 0 },
	{ 0x80000001, 0, 2 }, { 0x80000001, 0, 3 },
};

static uint32_t reg_of(const struct sv_cpuid_entry *e, unsigned i)
{
	const uint32_t r[4] = { e->eax, e->ebx, e->ecx, e->edx };
	return r[i];
}

static uint32_t host_reg(cpuid_fn host, uint32_t leaf, uint32_t sub, unsigned i)
{
	uint32_t max = host(leaf & 0x80000000u, 0).eax;
	if (leaf > max)
		return 0;
	struct cpuid_regs c = host(leaf, sub);
	const uint32_t r[4] = { c.eax, c.ebx, c.ecx, c.edx };
	return r[i];
}

/* Bits of register i of e the hypervisor never gives. */
static uint32_t never(const struct sv_cpuid_entry *e, unsigned i)
{
	if (e->function == 1 && i == 2)
		return 1u << VMX_BIT | 1u << MONITOR_BIT;
	if (e->function == 0x80000001 && i == 2)
		return 1u << SVM_BIT;
	return 0;
}

static int refuse_bit(const struct sv_cpuid_entry *e, unsigned i, uint32_t bits, const char *what,
		      char *why, unsigned len)
{
	sv_snprintf(why, len, "leaf 0x%x index %u %s bit %u: %s", e->function, e->index,
		    reg_names[i], __builtin_ctz(bits), what);
	return -EINVAL;
}

/* A flag register is compared as the guest will read it: at every index
 * the entry answers (all of them when the index is not significant: a
 * leaf 7 entry without SV_CPUID_FLAG_INDEX is 7.1 too). */
static int check_flags(const struct sv_cpuid_entry *e, cpuid_fn host, char *why, unsigned len)
{
	for (unsigned f = 0; f < sizeof(flag_regs) / sizeof(flag_regs[0]); f++) {
		unsigned i = flag_regs[f].reg;
		if (flag_regs[f].leaf != e->function ||
		    ((e->flags & SV_CPUID_FLAG_INDEX) && flag_regs[f].sub != e->index))
			continue;
		struct sv_cpuid_entry as_read = *e;
		as_read.index = flag_regs[f].sub;
		uint32_t v = reg_of(e, i);
		if (v & never(e, i))
			return refuse_bit(&as_read, i, v & never(e, i), "never given to guests", why, len);
		uint32_t lacking = v & ~host_reg(host, e->function, flag_regs[f].sub, i);
		if (e->function == 1 && i == 2)
			lacking &= ~(1u << HV_BIT);
		if (lacking)
			return refuse_bit(&as_read, i, lacking, "the host CPU lacks it", why, len);
	}
	return 0;
}

static int check_entry(const struct sv_cpuid_entry *e, unsigned k, cpuid_fn host, char *why,
		       unsigned len)
{
	if ((e->flags & ~SV_CPUID_FLAG_INDEX) || e->pad) {
		sv_snprintf(why, len, "entry %u: flags 0x%x or pad 0x%x invalid", k, e->flags, e->pad);
		return -EINVAL;
	}
	if (e->function >= SV_CPUID_LEAF && e->function < SV_CPUID_LEAF + 0x100) {
		sv_snprintf(why, len, "leaf 0x%x is the hypervisor's", e->function);
		return -EINVAL;
	}
	return check_flags(e, host, why, len);
}

int cpuid_policy_check(const struct sv_cpuid_entry *e, unsigned n, cpuid_fn host, char *why,
		       unsigned len)
{
	for (unsigned k = 0; k < n; k++) {
		int err = check_entry(&e[k], k, host, why, len);
		if (err)
			return err;
		for (unsigned j = 0; j < k; j++)
			if (e[j].function == e[k].function &&
			    (!(e[j].flags & e[k].flags & SV_CPUID_FLAG_INDEX) || e[j].index == e[k].index)) {
				sv_snprintf(why, len, "entries %u and %u both answer leaf 0x%x", j, k,
					    e[k].function);
				return -EINVAL;
			}
	}
	return 0;
}

bool cpuid_policy_lookup(const struct sv_cpuid_entry *e, unsigned n, uint32_t leaf,
			 uint32_t sub, struct cpuid_regs *out)
{
	for (unsigned k = 0; k < n; k++) {
		if (e[k].function != leaf || ((e[k].flags & SV_CPUID_FLAG_INDEX) && e[k].index != sub))
			continue;
		*out = (struct cpuid_regs){ e[k].eax, e[k].ebx, e[k].ecx, e[k].edx };
		return true;
	}
	return false;
}

static struct cpuid_regs host_cpuid(uint32_t leaf, uint32_t sub)
{
	return cpuid(leaf, sub);
}

/* hv_lock held. nr 0 drops the table: the guest sees the default again. */
int64_t vm_set_cpuid_call(struct vm *caller, struct vm *vm, uint64_t gpa, uint64_t nr)
{
	struct sv_cpuid_entry copy[SV_MAX_CPUID] = { 0 };   /* 2 KiB of stack */
	char why[96];

	if (!vm)
		return -ENOENT;
	if (vm->finalized)
		return -EPERM;
	if (nr > SV_MAX_CPUID)
		return -E2BIG;
	const struct sv_cpuid_entry *src = vm_guest_ptr(caller, gpa, nr * sizeof(*src));
	if (!src)
		return -EFAULT;
	for (unsigned k = 0; k < nr; k++)
		copy[k] = src[k];     /* the caller may change it under us */
	if (cpuid_policy_check(copy, (unsigned)nr, host_cpuid, why, sizeof(why))) {
		log_info("VM_SET_CPUID for VM %u refused: %s\n", vm->id, why);
		return -EINVAL;
	}
	for (unsigned k = 0; k < nr; k++)
		vm->cpuid[k] = copy[k];
	vm->nr_cpuid = (unsigned)nr;
	return 0;
}
