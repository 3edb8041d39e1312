/* The report body and RTMR extension (hv/attest.h): no key, no guest
 * memory, so the host tests check the layout byte by byte. */
#include "hv/attest.h"
#include "hv/partition.h"
#include "lib/sha256.h"
#include "lib/string.h"

_Static_assert(sizeof(struct sv_report) == SV_REPORT_SIZE, "report size");
_Static_assert(__builtin_offsetof(struct sv_report, signature) == SV_REPORT_BODY_SIZE,
	       "the signature ends the report");
_Static_assert(__builtin_offsetof(struct sv_report, launch_measurement) == 24, "layout");
_Static_assert(__builtin_offsetof(struct sv_report, rtmr) == 56, "layout");
_Static_assert(__builtin_offsetof(struct sv_report, hv_digest) == 184, "layout");
_Static_assert(__builtin_offsetof(struct sv_report, report_data) == 216, "layout");

void attest_rtmr_extend(uint8_t rtmr[32], const uint8_t data[32])
{
	struct sha256 h;

	sha256_init(&h);
	sha256_update(&h, rtmr, 32);
	sha256_update(&h, data, 32);
	sha256_final(&h, rtmr);
}

static uint32_t nr_vcpus(const struct vm *vm)
{
	uint32_t n = 0;

	for (unsigned i = 0; i < SV_MAX_VCPUS; i++)
		n += vm->vcpus[i].created;
	return n;
}

void attest_report_body(const struct vm *vm, const uint8_t hv_digest[32],
			const uint8_t data[SV_REPORT_DATA_SIZE], struct sv_report *out)
{
	memset(out, 0, sizeof(*out));
	memcpy(out->magic, SV_REPORT_MAGIC, sizeof(out->magic));
	out->version = SV_REPORT_VERSION;
	out->nr_vcpus = nr_vcpus(vm);
	out->policy = vm->msr_policy == SV_MSR_POLICY_EXIT ? SV_REPORT_POLICY_MSR_EXIT : 0;
	memcpy(out->launch_measurement, vm->measurement, sizeof(out->launch_measurement));
	memcpy(out->rtmr, vm->rtmr, sizeof(out->rtmr));
	memcpy(out->hv_digest, hv_digest, sizeof(out->hv_digest));
	memcpy(out->report_data, data, sizeof(out->report_data));
}
