/*
 * A guest's private and shared memory (README "Private and shared
 * memory"): ask the VMM to share or unshare a range, accept private pages,
 * and take #VE, the exception the hypervisor raises when the guest touches
 * a private page it has not accepted (its VMM removed or replaced it).
 *
 *   trap_init();
 *   sv_ve_init(on_ve);          on_ve(gpa) runs in the #VE handler; when
 *                               it returns, the access is retried
 *   sv_share(buf, len);         the VMM may read [buf, +len) now
 *   sv_unshare(buf, len);       private again, accepted, zero
 */
#ifndef GUEST_MEMATTR_H
#define GUEST_MEMATTR_H

#include <stdint.h>

/* 0 or -errno (the VMM's answer, or the hypervisor's check). */
int64_t sv_share(uint64_t gpa, uint64_t len);
/* Converts back to private and accepts every page (2 MiB at a time where
 * aligned): the range reads as zeros. */
int64_t sv_unshare(uint64_t gpa, uint64_t len);
/* size 4096 or 2 MiB, gpa aligned to it: 0, -EEXIST (already accepted),
 * -EINVAL. */
int64_t sv_accept(uint64_t gpa, uint64_t size);
/* The gpa of this vCPU's last #VE, or -ENOENT. */
int64_t sv_ve_info(void);
/* Installs the #VE gate (vector 20) on the IDT trap_init loaded. hook
 * gets the faulting gpa (sv_ve_info); it accepts the page to go on, or
 * ends the kernel. */
void sv_ve_init(void (*hook)(uint64_t gpa));

#endif
