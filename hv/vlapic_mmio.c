/* The xAPIC page (hv/vlapic_mmio.h). Registers are 32 bits wide at
 * 16-byte-aligned offsets and the SDM leaves every other access
 * undefined (11.4.1): here a narrower, wider or misaligned access reads
 * 0 and writes nothing, and the guest goes on. */
#include "hv/clock.h"
#include "hv/mmio.h"
#include "hv/partition.h"
#include "hv/vlapic_msr.h"
#include "hv/vlapic_mmio.h"
#include "hv/vlapic_xapic.h"

static void access(struct vcpu *v, uint32_t offset, const struct mmio_insn *d, uint64_t *reg)
{
	bool reg_access = d->size == 4 && !(offset & 0xf);
	uint64_t now = clock_tsc();

	if (d->write) {
		struct vlapic_ipi ipi;
		uint64_t val = insn_write_value(d, reg ? *reg : 0);
		/* IPIs not integrated yet (NMI, INIT, SIPI) are dropped. */
		if (reg_access && !vlapic_xapic_write(&v->lapic, offset, (uint32_t)val, now, &ipi) &&
		    ipi.valid)
			vlapic_route_ipi(v, &ipi, true);
		return;
	}
	uint32_t val = 0;
	if (reg_access)
		vlapic_xapic_read(&v->lapic, offset, now, &val);
	*reg = insn_read_result(d, *reg, val);
}

bool vlapic_mmio_exit(struct vcpu *v, uint64_t gpa, bool write)
{
	struct mmio_insn d;
	uint64_t *reg;

	if (v->vm->is_control || vlapic_mode(&v->lapic) != VLAPIC_XAPIC ||
	    (gpa & ~(uint64_t)(XAPIC_PAGE_SIZE - 1)) != (v->lapic.base & ~0xfffUL))
		return false;
	if (!mmio_decode(v, write, &d, &reg))
		return false;              /* left to the VMM (RSP too) */
	access(v, (uint32_t)(gpa & (XAPIC_PAGE_SIZE - 1)), &d, reg);
	virt->skip_decoded(v, d.len);
	return true;
}
