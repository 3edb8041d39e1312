/*
 * attest: a guest proves what it is. It extends two runtime measurement
 * registers, gets a report over the nonce a verifier chose and prints it
 * in hex for tests/tools/sv-verify, which checks the signature against
 * the public key in the boot log, the launch measurement against
 * sv-measure's, the build digest against build/ and the nonce.
 *
 * The nonce: 64 bytes after the marker "SV-ATTEST-NONCE:" in this image,
 * which the boot test overwrites in a copy of it (tests/tools/sv-verify
 * --patch-nonce) before each run; the launch measurement covers it, as
 * it covers every loaded byte.
 *
 * First the attacker's side, each with the exact error and nothing
 * changed: a report buffer one byte too small, data or report buffers
 * that leave the guest's memory (part in, part out: no byte written), an
 * RTMR index past the last and an RTMR source outside memory (the report
 * then shows every RTMR still zero).
 */
#include "guest/lib/attest.h"
#include "guest/lib/kernel.h"
#include "guest/vmm/layout.h"
#include "lib/sha256.h"

static struct {
	char marker[16];
	uint8_t nonce[SV_REPORT_DATA_SIZE];
} nonce_slot __attribute__((used)) = { "SV-ATTEST-NONCE:", "unset: the boot test writes the verifier's nonce here" };

static struct sv_report report __attribute__((aligned(64)));
static uint8_t expected_rtmr[SV_NR_RTMR][32];
static bool all(const void *p, uint8_t byte, uint64_t n)
{
	const volatile uint8_t *b = p;

	for (uint64_t i = 0; i < n; i++)
		if (b[i] != byte)
			return false;
	return true;
}

/* Refused calls: the exact error, and nothing written or extended. */
static void hostile(void)
{
	/* The last 100 bytes of guest memory: a report there would run past. */
	uint8_t *edge = (uint8_t *)(GUEST_MEM - 100);
	static const uint8_t data[32] = "attest: never measured";

	memset(&report, 0xa5, sizeof(report));
	kexpect("GET_REPORT into a buffer one byte short",
	       sv_get_report(nonce_slot.nonce, &report, SV_REPORT_SIZE - 1), -ENOSPC);
	kexpect("GET_REPORT with length 0", sv_get_report(nonce_slot.nonce, &report, 0), -ENOSPC);
	kexpect("... nothing written", all(&report, 0xa5, sizeof(report)), 1);
	memset(edge, 0x5a, 100);
	kexpect("GET_REPORT into a buffer that leaves guest memory",
	       sv_get_report(nonce_slot.nonce, edge, SV_REPORT_SIZE), -EFAULT);
	kexpect("... its part inside memory untouched", all(edge, 0x5a, 100), 1);
	kexpect("GET_REPORT with data that leaves guest memory",
	       sv_get_report(edge + 50, &report, sizeof(report)), -EFAULT);
	kexpect("GET_REPORT with data far outside memory",
	       sv_get_report((void *)(1UL << 40), &report, sizeof(report)), -EFAULT);
	kexpect("GET_REPORT into a gpa that wraps around",
	       sv_get_report(nonce_slot.nonce, (void *)-64UL, sizeof(report)), -EFAULT);
	kexpect("... nothing written", all(&report, 0xa5, sizeof(report)), 1);
	kexpect("EXTEND RTMR 4 (there are 4)", sv_extend(SV_NR_RTMR, data), -EINVAL);
	kexpect("EXTEND RTMR 2^32", sv_call2(SV_HC_GUEST_EXTEND, 1UL << 32, (uint64_t)data), -EINVAL);
	kexpect("EXTEND from data that leaves guest memory", sv_extend(0, edge + 80), -EFAULT);
	kexpect("EXTEND from far outside memory", sv_extend(1, (void *)(1UL << 40)), -EFAULT);
	kexpect("GET_REPORT after the refused calls",
	       sv_get_report(nonce_slot.nonce, &report, sizeof(report)), SV_REPORT_SIZE);
	kexpect("... every RTMR still zero", all(report.rtmr, 0, sizeof(report.rtmr)), 1);
}

/* Extends RTMR index with SHA-256(what), and the guest's own copy. */
static void extend(unsigned index, const char *what)
{
	struct sha256 h;
	uint8_t digest[32];

	sha256_init(&h);
	sha256_update(&h, what, strlen(what));
	sha256_final(&h, digest);
	kexpect("EXTEND", sv_extend(index, digest), 0);
	sha256_init(&h);
	sha256_update(&h, expected_rtmr[index], 32);
	sha256_update(&h, digest, 32);
	sha256_final(&h, expected_rtmr[index]);
}

static void print_report(void)
{
	const uint8_t *b = (const uint8_t *)&report;
	char line[2 * 64 + 1];

	for (unsigned off = 0; off < SV_REPORT_SIZE; off += 64) {
		unsigned n = SV_REPORT_SIZE - off < 64 ? SV_REPORT_SIZE - off : 64;
		for (unsigned i = 0; i < n; i++)
			sv_snprintf(&line[2 * i], 3, "%02x", b[off + i]);
		kprintf("attest: report %u %s\n", off, line);
	}
}

__attribute__((section(".text.start"))) void _start(void)
{
	sv_detect_vendor();
	hostile();
	/* tests/boot-tests.sh (attest_rtmrs) replays these for the verifier. */
	extend(0, "attest: the kernel command line, say");
	extend(3, "attest: an application");
	extend(3, "attest: its configuration");
	memset(&report, 0, sizeof(report));
	int64_t r = sv_get_report(nonce_slot.nonce, &report, sizeof(report));
	kexpect("GET_REPORT over the nonce", r, SV_REPORT_SIZE);
	kexpect("magic", !memcmp(report.magic, SV_REPORT_MAGIC, 8), 1);
	kexpect("version", report.version, SV_REPORT_VERSION);
	kexpect("vCPU count", report.nr_vcpus, 1);
	kexpect("policy (MSR policy GP, no debug)", (int64_t)report.policy, 0);
	kexpect("report data is the nonce",
	       !memcmp(report.report_data, nonce_slot.nonce, SV_REPORT_DATA_SIZE), 1);
	kexpect("RTMRs as extended", !memcmp(report.rtmr, expected_rtmr, sizeof(expected_rtmr)), 1);
	kexpect("launch measurement set", all(report.launch_measurement, 0, 32), 0);
	kexpect("signature set", all(report.signature, 0, 64), 0);
	if (r == SV_REPORT_SIZE)
		print_report();
	kprintf("attest: %u checks, %u failed\n", kchecks, kfailures);
	kexit(kfailures ? 1 : 0);
}
