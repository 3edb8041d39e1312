/*
 * The attestation hypercalls (hv/attest.h), with hv_lock held (but for
 * GET_REPORT's signature, hv/hypercall.c): the control partition's
 * SV_HC_ATTEST_PUBLIC_KEY, and a guest's own SV_HC_GUEST_GET_REPORT and
 * SV_HC_GUEST_EXTEND. Every argument is checked
 * and every guest buffer found before anything is written or extended, so
 * a refused call changes nothing.
 */
#include <stdbool.h>
#include <sealvisor/errno.h>
#include "hv/attest.h"
#include "hv/memattr_vm.h"
#include "hv/partition.h"
#include "hv/vm.h"
#include "mm/memobj.h"
#include "mm/phys.h"
#include "lib/string.h"

/* The object and offset the guest's own access to gpa in r reaches: with
 * memory attributes (hv/memattr.h), the shared object for a shared page
 * and nothing (NULL) for a page it has not accepted. attr_lock held. */
static struct memobj *backing(struct region *r, uint64_t gpa, uint64_t *off)
{
	*off = r->offset + (gpa - r->gpa);
	return r->attr ? memattr_backing(r, gpa, off) : r->obj;
}

/* [gpa, gpa + len) inside one region of a guest VM (its own memory, as its
 * stage-2 maps it), every page of it reachable: 0 or -EFAULT. */
static int guest_range(struct vm *vm, uint64_t gpa, uint64_t len)
{
	struct region *r = vm_find_region(vm, gpa);
	uint64_t off;
	int err = 0;

	if (!r || len > r->size - (gpa - r->gpa))
		return -EFAULT;
	spin_lock(&vm->attr_lock);
	for (uint64_t a = gpa & PAGE_MASK; !err && a < gpa + len; a += PAGE_SIZE)
		err = backing(r, a, &off) ? 0 : -EFAULT;
	spin_unlock(&vm->attr_lock);
	return err;
}

/*
 * Copies between buf and the guest's [gpa, gpa + len) a page at a time,
 * each page held by memobj_get_page (as the fault path holds it), so a
 * punch cannot free it under the copy. A page never touched reads as
 * zeros without being allocated (a refused call then has allocated
 * nothing), and is allocated zeroed for a write, exactly as the guest's
 * own access would. guest_range first.
 */
static int guest_copy(struct vm *vm, uint64_t gpa, void *buf, uint64_t len, bool to_guest)
{
	uint8_t *p = buf;

	while (len) {
		struct region *r = vm_find_region(vm, gpa);
		uint64_t off, pa;
		unsigned order;
		spin_lock(&vm->attr_lock);
		struct memobj *obj = backing(r, gpa, &off);
		uint64_t chunk = PAGE_SIZE - (off & ~PAGE_MASK);
		if (chunk > len)
			chunk = len;
		int err = !obj ? -EFAULT : to_guest ? memobj_get_page(obj, off >> PAGE_SHIFT, &pa, &order)
						   : memobj_get_page_if_present(obj, off >> PAGE_SHIFT, &pa, &order);
		if (err == -ENOENT) {
			memset(p, 0, chunk);
			err = 0;
		} else if (!err) {
			uint8_t *page = (uint8_t *)phys_to_virt(pa) + (off & ~PAGE_MASK);
			if (to_guest)
				memcpy(page, p, chunk);
			else
				memcpy(p, page, chunk);
			memobj_put_page(obj, pa);
		}
		spin_unlock(&vm->attr_lock);
		/* -EINVAL: the page lies past the object's end (the VMM shrank
		 * it): no memory at that address, as for a gpa outside RAM. */
		if (err)
			return err == -EINVAL ? -EFAULT : err;
		gpa += chunk, p += chunk, len -= chunk;
	}
	return 0;
}

int64_t attest_hc_public_key(struct vm *caller, uint64_t out_gpa)
{
	uint8_t *out = vm_guest_ptr(caller, out_gpa, SV_ATTEST_PUBKEY_SIZE);

	if (!out)
		return -EFAULT;
	return attest_public_key(out);   /* writes nothing without a key */
}

int64_t attest_report_prepare(struct vm *caller, uint64_t data_gpa, uint64_t out_gpa,
			      uint64_t len, struct sv_report *report)
{
	uint8_t data[SV_REPORT_DATA_SIZE], digest[32];

	if (caller->is_control)
		return -EPERM;          /* only a guest, about itself */
	if (len < SV_REPORT_SIZE)
		return -ENOSPC;
	if (guest_range(caller, data_gpa, sizeof(data)) ||
	    guest_range(caller, out_gpa, SV_REPORT_SIZE))
		return -EFAULT;
	if (!attest_key_ready())
		return -ENODEV;
	int err = guest_copy(caller, data_gpa, data, sizeof(data), false);
	if (err)
		return err;
	attest_hv_digest(digest);
	attest_report_body(caller, digest, data, report);
	return 0;
}

int64_t attest_report_deliver(struct vm *caller, uint64_t out_gpa, const struct sv_report *report)
{
	/* The regions of a running guest are fixed (VM_FINALIZE): still there. */
	if (guest_range(caller, out_gpa, SV_REPORT_SIZE))
		return -EFAULT;
	int err = guest_copy(caller, out_gpa, (void *)report, SV_REPORT_SIZE, true);
	return err ? err : (int64_t)SV_REPORT_SIZE;
}

int64_t attest_hc_extend(struct vm *caller, uint64_t index, uint64_t data_gpa)
{
	uint8_t data[32];

	if (caller->is_control)
		return -EPERM;
	if (index >= SV_NR_RTMR)
		return -EINVAL;
	if (guest_range(caller, data_gpa, sizeof(data)))
		return -EFAULT;
	int err = guest_copy(caller, data_gpa, data, sizeof(data), false);
	if (err)
		return err;
	attest_rtmr_extend(caller->rtmr[index], data);
	return 0;
}
