/*
 * Guest vCPUs' MP state (SV_MP_STATE_*): started, or waiting for a SIPI
 * as an application processor after INIT (SDM vol. 3, 9.4 and 11.6.1).
 * Before VM_FINALIZE the VMM sets it (measured, record 8); after, only
 * the guest's own INIT and SIPI IPIs change it, taken by the target's
 * own run (docs/ARCHITECTURE.md, "MP state").
 */
#ifndef HV_VCPU_MP_H
#define HV_VCPU_MP_H

#include <stdbool.h>
#include <stdint.h>

struct vm;
struct vcpu;

/* From the sender's run (any CPU): an INIT or a SIPI for `to`, which its
 * own run takes before its next entry (vcpu_mp_sync). An INIT drops a
 * SIPI posted before it and not yet taken: after both, the target waits,
 * whichever order it would have seen them in. */
void vcpu_mp_post_init(struct vcpu *to);
void vcpu_mp_post_sipi(struct vcpu *to, uint8_t vector);
/* v's own run, before each entry: what was posted takes effect. true if
 * v may enter the guest; false while it waits for a SIPI. */
bool vcpu_mp_sync(struct vcpu *v);

#endif
