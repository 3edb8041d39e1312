#!/usr/bin/env bash
# tests/linux/run.sh BUILD [--bochs]   (make run-linux, make run-linux-bochs)
# Checks two refusals (tests/linux/refusals.sh, QEMU only), then boots
# Debian's kernel (tests/linux/fetch.sh) with the initramfs on
# sealvisor through ./sealvisor: 2 vCPUs, 256 MiB. Prints the console and
# passes (0) only if the kernel's banner, the init marker, the 2 CPUs and
# the memory the VMM configured, the checksum and the workers all show up
# and the machine powered itself off. Otherwise: 1 with the reason and
# the console's last lines (a panic: panic=-1 turns it into a reset, which
# ends the run at once instead of at the timeout).
# LINUX_TIMEOUT (seconds, default 300; 3000 with --bochs), LINUX_APPEND.
set -uo pipefail
build=$1
shift
here=$(cd "$(dirname "$0")/../.." && pwd)
backend=()
timeout=${LINUX_TIMEOUT:-300}
if [ "${1:-}" = --bochs ]; then
	backend=(--bochs)
	timeout=${LINUX_TIMEOUT:-3000}
fi
cpus=2 mem_mib=256
# console=ttyS0: COM1, the VMM's UART. panic=-1: a panic resets at once.
# No other hint: the kernel finds CPUs, memory and devices on its own.
# LINUX_APPEND adds to it (earlyprintk=serial,ttyS0,115200 shows a death
# before the console is up, which console=ttyS0 alone keeps in the buffer).
append="console=ttyS0 panic=-1${LINUX_APPEND:+ $LINUX_APPEND}"

"$here/tests/linux/fetch.sh" "$build" || exit 1
# Two bzImages it cannot boot first (QEMU only: the VMM's checks are the
# same code on both backends, and Bochs is slow).
[ ${#backend[@]} -gt 0 ] || "$here/tests/linux/refusals.sh" "$build" || exit 1
out=$(mktemp "${TMPDIR:-/tmp}/sealvisor-linux.XXXXXX")
machine_log=$out.machine
trap 'rm -f "$out" "$machine_log"' EXIT
start=$(date +%s)
# The ownership audit after every 256th hypercall (after each one, as the
# boot tests run, is too slow for a whole Linux boot); info-level logs so
# the machine log has the audit count at the end.
SV_AUDIT_EVERY=${SV_AUDIT_EVERY:-256} SV_LOG_LEVEL=${SV_LOG_LEVEL:-info} \
SEALVISOR_LOG=$machine_log BUILD=$build "$here/sealvisor" "${backend[@]}" -kernel "$build/linux/vmlinuz" \
	-initrd "$build/linux/initrd.cpio" -append "$append" -smp $cpus -m ${mem_mib}M \
	--timeout "$timeout" 2>&1 | tee "$out"
rc=${PIPESTATUS[0]}
secs=$(( $(date +%s) - start ))

fail() {
	echo "run-linux: FAIL after ${secs}s: $*; the console's last lines:" >&2
	grep -v -E '^(\[control\]|hv:)' "$out" | tail -n 25 >&2
	exit 1
}
tr -d '\r' < "$out" > "$out.clean" && mv "$out.clean" "$out"
grep -q '^\[ *[0-9.]*\] Linux version ' "$out" || fail "no 'Linux version' banner"
grep -q '^sealvisor-linux: init reached$' "$out" || fail "init never ran"
grep -q "^sealvisor-linux: cpus=$cpus " "$out" || fail "init did not see $cpus CPUs"
kib=$(sed -n -E 's/^sealvisor-linux: cpus=[0-9]+ memtotal=([0-9]+) kB$/\1/p' "$out")
# MemTotal is RAM less what the kernel keeps for its image and tables:
# between 3/4 of the configured size and all of it.
[ -n "$kib" ] && [ "$kib" -le $((mem_mib * 1024)) ] && [ "$kib" -ge $((mem_mib * 768)) ] ||
	fail "MemTotal '${kib:-none}' kB is not within 3/4..1 of the ${mem_mib} MiB configured"
grep -q '^sealvisor-linux: checksum ok ' "$out" || fail "the RAM checksum failed"
grep -q '^sealvisor-linux: workers done$' "$out" || fail "the per-CPU workers did not finish"
# The devices the VMM configured, as the kernel found them.
grep -q 'serial8250: ttyS0 at I/O 0x3f8 (irq = 4' "$out" || fail "the kernel found no COM1 at 0x3f8, IRQ 4"
grep -q 'IOAPIC\[0\]: apic_id 0, version 17, address 0xfec00000, GSI 0-23' "$out" ||
	fail "the kernel found no I/O APIC at 0xfec00000"
grep -q "smp: Brought up 1 node, $cpus CPUs" "$out" || fail "the kernel did not bring up $cpus CPUs"
[ "$rc" -eq 0 ] || fail "./sealvisor exited $rc, not 0 for a power-off"
# The hostile VMM (guest/vmm/memory_probe.c): it tried the guest's memory
# while Linux ran, and every try was refused (one that is not fails the run).
probes=$(tr -d '\r' < "$machine_log" 2>/dev/null | sed -n -E 's/^\[control\] \[vmm\] run: ([0-9]+) tries at the guest.s memory while it ran .*all refused \(EPERM\)$/\1/p')
[ -n "$probes" ] && [ "$probes" -gt 0 ] || fail "no refused tries at the guest's memory reported"
# A failed audit panics the hypervisor; this says they ran.
audits=$(tr -d '\r' < "$machine_log" | sed -n -E 's/^hv: audit: ([0-9]+) stage-2 audits after hypercalls, all clean$/\1/p')
[ -n "$audits" ] && [ "$audits" -gt 0 ] || fail "no stage-2 audits reported (SV_AUDIT_EVERY=${SV_AUDIT_EVERY:-256})"
echo "run-linux: PASS in ${secs}s (${backend[*]:-qemu}): banner, init, $cpus CPUs, MemTotal $kib kB," \
	"checksum, workers, COM1/I/O APIC found, power-off, $probes tries at its memory refused, $audits audits clean"
