/* The invalidation bracket (hv/invalidate.h). */
#include "hv/invalidate.h"
#include "hv/shootdown.h"
#include "hv/shutdown.h"
#include "hv/partition.h"
#include "lib/errno_name.h"

void vm_invalidate_range(struct vm_invalidation *inv, uint64_t gpa, uint64_t len)
{
	if (!stage2_may_hold(&inv->vm->s2))
		return;              /* nothing mapped: the common punch */
	/* A generation that moved here moved for this zap or for one racing
	 * it (a guest's ACCEPT runs without hv_lock): at worst a needless
	 * shootdown, never a missed one, as this zap's own bump is seen. */
	uint64_t gen = __atomic_load_n(&inv->vm->s2.generation, __ATOMIC_SEQ_CST);
	int64_t n = stage2_zap(&inv->vm->s2, gpa, len);

	/* Callers pass ranges inside a region or mapping they validated:
	 * a rejected range is a broken invariant, not bad input. */
	if (n < 0)
		panic("stage-2 zap of VM %u [0x%lx, +0x%lx) refused: %s (%ld)", inv->vm->id, gpa, len,
		      errno_name(n), n);
	inv->zapped |= __atomic_load_n(&inv->vm->s2.generation, __ATOMIC_SEQ_CST) != gen;
}

void vm_invalidate_shootdown(struct vm_invalidation *inv)
{
	/* Read before the shootdown: it covers every table retired up to
	 * here, and no later one (another zap of the VM may be under way
	 * under a different object lock, and its own end frees those). */
	uint64_t upto = __atomic_load_n(&inv->vm->s2.generation, __ATOMIC_SEQ_CST);
	vm_shootdown(inv->vm);
	stage2_free_retired_upto(&inv->vm->s2, upto);
}
