/*
 * Freeing after the global hypercall lock (issue 14 item 2): a hypercall
 * that removes pages (punch, truncate, close, VM destroy) detaches them
 * under its locks onto this CPU's list (mm/reclaim.h), and the dispatcher
 * zeroes and frees them once it has dropped hv_lock, so a 1 GiB punch
 * holds no lock while it zeroes 1 GiB.
 *
 * Nesting: a guest's hypercall runs inside its VMM's VCPU_RUN, which
 * dropped hv_lock first. Every dispatch empties the list when it has
 * dropped its lock, the inner one included: at that point this CPU holds
 * no lock at all.
 */
#ifndef HV_DEFERRED_FREE_H
#define HV_DEFERRED_FREE_H

/* Around a dispatch: begin before taking hv_lock, end after dropping it. */
void hv_defer_frees_begin(void);
void hv_defer_frees_end(void);

#endif
