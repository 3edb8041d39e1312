/* Memory objects: lifecycle, seals, size, mapping accounting, owner. */
#include <stdbool.h>
#include <sealvisor/errno.h>
#include "lib/string.h"
#include "mm/heap.h"
#include "mm/memobj_internal.h"
#include "mm/pmm.h"

/* Guards the object list and every object's reference count. Taken before
 * (never inside) an object lock. */
static spinlock_t objects_lock = SPINLOCK_INIT;
static struct memobj *objects;
static uint64_t next_id = 1, nr_objects;

int memobj_create(unsigned flags, struct memobj **out)
{
	if (flags & ~MEMOBJ_CREATE_FLAGS)
		return -EINVAL;
	struct memobj *obj = kmalloc(sizeof(*obj));
	if (!obj)
		return -ENOMEM;
	obj->refs = 1;
	obj->small_pages = !!(flags & MEMOBJ_4K_ONLY);
	/* memfd_create: without ALLOW_SEALING no seal can ever be added. */
	obj->seals = (flags & MEMOBJ_ALLOW_SEALING) ? 0 : MEMOBJ_SEAL_SEAL;
	spin_lock(&objects_lock);
	obj->id = next_id++;
	obj->index.tag = obj->id;
	obj->next = objects;
	if (objects)
		objects->prev = obj;
	objects = obj;
	nr_objects++;
	spin_unlock(&objects_lock);
	*out = obj;
	return 0;
}

uint64_t memobj_id(const struct memobj *obj)
{
	return obj->id;
}

void memobj_get(struct memobj *obj)
{
	spin_lock(&objects_lock);
	obj->refs++;
	spin_unlock(&objects_lock);
}

void memobj_close(struct memobj *obj)
{
	spin_lock(&objects_lock);
	bool last = --obj->refs == 0;
	if (last) {
		if (obj->prev)
			obj->prev->next = obj->next;
		else
			objects = obj->next;
		if (obj->next)
			obj->next->prev = obj->prev;
		nr_objects--;
	}
	spin_unlock(&objects_lock);
	if (!last)
		return;
	/* No one else can reach the object now, but the owner may still map
	 * its pages: the lock keeps the callback contract uniform. */
	struct reclaim gone = RECLAIM_INIT;
	spin_lock(&obj->lock);
	memobj_remove_range(obj, 0, IDX_MAX_PAGES, &gone);
	idx_destroy(&obj->index);
	spin_unlock(&obj->lock);
	reclaim_finish(&gone);
	kfree(obj);
}

/* memfd_add_seals, checking every rule before changing anything. */
int memobj_add_seals(struct memobj *obj, unsigned seals)
{
	int err = 0;

	if (seals & ~MEMOBJ_ALL_SEALS)
		return -EINVAL;
	spin_lock(&obj->lock);
	if (obj->seals & MEMOBJ_SEAL_SEAL)
		err = -EPERM;
	else if ((seals & MEMOBJ_SEAL_WRITE) && !(obj->seals & MEMOBJ_SEAL_WRITE) &&
		 obj->writable_maps)
		err = -EBUSY;
	else if ((seals & MEMOBJ_SEAL_GUEST) && (obj->maps || obj->size))
		err = -EBUSY;
	if (!err)
		obj->seals |= seals;
	spin_unlock(&obj->lock);
	return err;
}

unsigned memobj_get_seals(struct memobj *obj)
{
	spin_lock(&obj->lock);
	unsigned s = obj->seals;
	spin_unlock(&obj->lock);
	return s;
}

/* shmem_setattr: seals first, then GUEST's alignment, then the owner's
 * consent to lose pages, then the change. */
static int size_change_allowed(struct memobj *obj, uint64_t size)
{
	if ((size < obj->size && (obj->seals & MEMOBJ_SEAL_SHRINK)) ||
	    (size > obj->size && (obj->seals & MEMOBJ_SEAL_GROW)))
		return -EPERM;
	if ((obj->seals & MEMOBJ_SEAL_GUEST) && (size & ~PAGE_MASK))
		return -EINVAL;
	return size < obj->size ? memobj_may_remove(obj) : 0;
}

int memobj_set_size(struct memobj *obj, uint64_t size)
{
	if (size > MEMOBJ_MAX_SIZE)
		return -EFBIG;
	struct reclaim gone = RECLAIM_INIT;
	spin_lock(&obj->lock);
	int err = size_change_allowed(obj, size);
	if (!err && size < obj->size) {
		/* Truncation drops every page past the new EOF, including
		 * those fallocated past the old EOF with KEEP_SIZE. */
		uint64_t first = (size + PAGE_SIZE - 1) >> PAGE_SHIFT;
		if (size & ~PAGE_MASK)
			memobj_zero_partial(obj, size, PAGE_SIZE - (size & ~PAGE_MASK));
		memobj_remove_range(obj, first, IDX_MAX_PAGES, &gone);
	}
	if (!err)
		obj->size = size;
	spin_unlock(&obj->lock);
	reclaim_finish(&gone);
	return err;
}

uint64_t memobj_get_size(struct memobj *obj)
{
	spin_lock(&obj->lock);
	uint64_t s = obj->size;
	spin_unlock(&obj->lock);
	return s;
}

/* shmem_mmap + memfd's seal check on shared writable mappings. */
int memobj_map(struct memobj *obj, int writable)
{
	int err = 0;

	spin_lock(&obj->lock);
	if (obj->seals & MEMOBJ_SEAL_GUEST)
		err = -EPERM;
	else if (writable && (obj->seals & (MEMOBJ_SEAL_WRITE | MEMOBJ_SEAL_FUTURE_WRITE)))
		err = -EPERM;
	else {
		obj->maps++;
		obj->writable_maps += !!writable;
	}
	spin_unlock(&obj->lock);
	return err;
}

int memobj_unmap(struct memobj *obj, int writable)
{
	int err = 0;

	spin_lock(&obj->lock);
	if (!obj->maps || (writable && !obj->writable_maps))
		err = -EINVAL;
	else {
		obj->maps--;
		obj->writable_maps -= !!writable;
	}
	spin_unlock(&obj->lock);
	return err;
}

void memobj_add_mapper(struct memobj *obj, struct memobj_mapper *m)
{
	spin_lock(&obj->lock);
	m->next = obj->mappers;
	obj->mappers = m;
	spin_unlock(&obj->lock);
}

void memobj_remove_mapper(struct memobj *obj, struct memobj_mapper *m)
{
	spin_lock(&obj->lock);
	for (struct memobj_mapper **p = &obj->mappers; *p; p = &(*p)->next) {
		if (*p == m) {
			*p = m->next;
			break;
		}
	}
	spin_unlock(&obj->lock);
}

unsigned memobj_peek_seals(const struct memobj *obj)
{
	return __atomic_load_n(&obj->seals, __ATOMIC_RELAXED);
}

/* memfd_register_guest / shmem_register_guest. */
int memobj_register_owner(struct memobj *obj, void *owner, const struct memobj_owner_ops *ops)
{
	int err = 0;

	if (!owner || !ops)
		return -EINVAL;
	spin_lock(&obj->lock);
	if (obj->orphaned || (obj->owner && obj->owner != owner))
		err = -EPERM;
	else {
		obj->owner = owner;
		obj->owner_ops = ops;
	}
	spin_unlock(&obj->lock);
	return err;
}

/*
 * A GUEST object is its VM's for life (like a guest_memfd file): when the
 * owner lets go, every page is removed (owner callback first, then zeroed
 * and freed) and no owner can ever register again, so nobody can bind the
 * dead guest's memory and read it through code of their own.
 */
int memobj_unregister_owner(struct memobj *obj, void *owner)
{
	struct reclaim gone = RECLAIM_INIT;
	int err = 0;

	spin_lock(&obj->lock);
	if (!owner || obj->owner != owner)
		err = -EPERM;
	else {
		if (obj->seals & MEMOBJ_SEAL_GUEST) {
			memobj_remove_range(obj, 0, IDX_MAX_PAGES, &gone);
			obj->orphaned = true;
		}
		obj->owner = NULL;
		obj->owner_ops = NULL;
	}
	spin_unlock(&obj->lock);
	reclaim_finish(&gone);
	return err;
}

uint64_t memobj_nr_pages(struct memobj *obj)
{
	spin_lock(&obj->lock);
	uint64_t n = obj->nr_pages;
	spin_unlock(&obj->lock);
	return n;
}

uint64_t memobj_owner_pages(void *owner)
{
	uint64_t n = 0;

	spin_lock(&objects_lock);
	for (struct memobj *o = objects; o; o = o->next)
		if (o->owner == owner)
			n += __atomic_load_n(&o->nr_pages, __ATOMIC_RELAXED);
	spin_unlock(&objects_lock);
	return n;
}

uint64_t memobj_nr_objects(void)
{
	spin_lock(&objects_lock);
	uint64_t n = nr_objects;
	spin_unlock(&objects_lock);
	return n;
}
