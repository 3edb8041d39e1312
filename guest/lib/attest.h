/* A guest's attestation calls (README "Attestation"): thin wrappers over
 * hypercalls 60 and 61, which go to the hypervisor, never to the VMM. */
#ifndef GUEST_ATTEST_H
#define GUEST_ATTEST_H

#include <stdint.h>
#include "guest/lib/sv.h"

/* A signed report over data (SV_REPORT_DATA_SIZE bytes) into out (len
 * bytes, at least SV_REPORT_SIZE): SV_REPORT_SIZE, or -ENOSPC, -EFAULT,
 * -ENODEV (the hypervisor has no key). Both buffers are guest-physical
 * addresses: identity-mapped memory in the test kernels. */
static inline int64_t sv_get_report(const void *data, void *out, uint64_t len)
{
	return sv_call3(SV_HC_GUEST_GET_REPORT, (uint64_t)data, (uint64_t)out, len);
}

/* rtmr[index] = SHA-256(rtmr[index] || data[0..31]): 0, -EINVAL, -EFAULT. */
static inline int64_t sv_extend(unsigned index, const void *data)
{
	return sv_call2(SV_HC_GUEST_EXTEND, index, (uint64_t)data);
}

#endif
