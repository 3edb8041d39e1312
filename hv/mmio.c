/* Decoded MMIO exits for the VMM (hv/mmio.h). The decoded instruction is
 * trusted to be the one that faulted only when the fault was an access
 * of an instruction (not a fetch, not an event's delivery); its memory
 * operand's address is not recomputed: the fault's gpa is the address. */
#include "hv/guest_fetch.h"
#include "hv/mmio.h"
#include "hv/partition.h"

/* A general-purpose register by encoding number; NULL for RSP (in the
 * backend's control block: such an access is not decoded). */
static uint64_t *gpr(struct guest_regs *r, unsigned n)
{
	uint64_t *const by_number[16] = {
		&r->rax, &r->rcx, &r->rdx, &r->rbx, NULL, &r->rbp, &r->rsi, &r->rdi,
		&r->r8, &r->r9, &r->r10, &r->r11, &r->r12, &r->r13, &r->r14, &r->r15,
	};
	return by_number[n & 15];
}

bool mmio_decode(struct vcpu *v, bool write, struct mmio_insn *d, uint64_t **reg)
{
	struct guest_code c;
	uint8_t buf[INSN_MAX_LEN];
	enum insn_mode mode;
	unsigned got;

	virt->get_code(v, &c);
	if (guest_fetch_insn(v, &c, buf, sizeof(buf), &mode, &got) ||
	    insn_decode_mmio(buf, got, mode, d) || d->write != write)
		return false;
	*reg = NULL;
	if (d->has_reg && !(*reg = gpr(&v->regs, d->reg)))
		return false;
	return true;
}

void mmio_exit_for_vmm(struct vcpu *v, const struct vm_exit *e, struct sv_run *run)
{
	struct mmio_insn d;
	uint64_t *reg;

	run->exit_reason = SV_EXIT_MMIO;
	run->mmio.gpa = e->gpa;
	run->mmio.is_write = e->write;
	run->mmio.size = 0;
	run->mmio.pad[0] = run->mmio.pad[1] = run->mmio.pad[2] = 0;
	run->mmio.data = 0;
	if (e->fetch || e->in_delivery || !mmio_decode(v, e->write, &d, &reg))
		return;
	run->mmio.size = d.size;
	if (d.write)
		run->mmio.data = insn_write_value(&d, reg ? *reg : 0);
	v->pending_mmio = d;
	v->pending = PENDING_MMIO;
}

void mmio_apply_answer(struct vcpu *v, const struct sv_run *run)
{
	const struct mmio_insn *d = &v->pending_mmio;
	uint64_t *reg;

	if (!d->write && d->has_reg && (reg = gpr(&v->regs, d->reg)))
		*reg = insn_read_result(d, *reg, run->mmio.data);
	virt->skip_decoded(v, d->len);
}
