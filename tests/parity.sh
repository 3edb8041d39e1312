#!/usr/bin/env bash
# tests/parity.sh LOGDIR "KERNELS": the test kernel x backend table, from the
# summary lines of the boot-test logs (a missing line is "no result").
set -uo pipefail
logdir=$1 kernels=$2

result() {
	local log=$1 name=$2 line
	[ -f "$log" ] || { echo "not run"; return; }
	line=$(tr -d '\r' < "$log" | grep -E "summary: $name (PASS|FAIL|SKIP)" | head -n 1)
	case "$line" in
	*" $name PASS"*) echo "PASS" ;;
	*" $name SKIP"*) echo "SKIP" ;;
	*" $name FAIL"*) echo "FAIL" ;;
	*) echo "no result" ;;
	esac
}

hostile() {  # hostile LOG PARTITION
	local log=$1 name=$2 line status
	[ -f "$log" ] || { echo "not run"; return; }
	line=$(tr -d '\r' < "$log" | sed -n -E "s/.*$name: ([0-9]+) checks, ([0-9]+) failed.*/\\1 \\2/p" | head -n 1)
	status=$(tr -d '\r' < "$log" | sed -n -E 's/^sealvisor: exit status ([0-9]+)$/\1/p' | tail -n 1)
	if tr -d '\r' < "$log" | grep -q '^\[control\] SKIP: '; then
		echo "SKIP"; return
	fi
	case "$line" in
	*" 0") echo "PASS (${line% *} checks)" ;;
	?*) echo "FAIL (${line#* } of ${line% *} checks)" ;;
	*) echo "FAIL (exit status ${status:-none}, no summary)" ;;
	esac
}

echo "| test kernel | SVM + NPT (QEMU) | VMX + EPT (Bochs) |"
echo "|---|---|---|"
for k in $kernels; do
	echo "| $k | $(result "$logdir/qemu-guests.log" "$k") | $(result "$logdir/bochs-guests.log" "$k") |"
done
# Start modes, CPUID tables, mode switches and INIT/SIPI (tests/configs/regs.cfg).
for k in ${REGS_KERNELS:-realmode prot32 cpuid-table modeswitch modeswitch16 sipi}; do
	echo "| $k | $(result "$logdir/qemu-regs.log" "$k") | $(result "$logdir/bochs-regs.log" "$k") |"
done
# The xAPIC page and decoded MMIO (tests/configs/mmio.cfg).
for k in ${MMIO_KERNELS:-xapic mmio}; do
	echo "| $k | $(result "$logdir/qemu-mmio.log" "$k") | $(result "$logdir/bochs-mmio.log" "$k") |"
done
# Kernels that run alone (tests/configs/NAME.cfg: guests.cfg is full).
for k in ${SOLO_KERNELS:-nmi apic-timer memattr}; do
	echo "| $k | $(result "$logdir/qemu-$k.log" "$k") | $(result "$logdir/bochs-$k.log" "$k") |"
done
# Attestation (tests/configs/attest.cfg): the kernel, then its report
# through the host verifier (tests/tools/sv-verify).
verified() {
	[ -f "$1" ] || { echo "not run"; return; }
	grep -q '^sv-verify: OK' "$1" && echo "PASS" || echo "FAIL"
}
echo "| attest | $(result "$logdir/qemu-attest.log" attest) | $(result "$logdir/bochs-attest.log" attest) |"
echo "| attest's report verified on the host (sv-verify) | $(verified "$logdir/qemu-attest-verify.log") | $(verified "$logdir/bochs-attest-verify.log") |"
# The confidential-computing demonstration (tests/configs/cc-demo.cfg):
# the kernel, its report verified with the nonce the VMM handed it, and the
# verifier refusing that run's report with one bit flipped and the other
# backend's report (another run's nonce).
refused() {
	[ -f "$1" ] && [ -f "$2" ] || { echo "not run"; return; }
	grep -q '^sv-verify: REFUSED: bad signature' "$1" &&
		grep -q "^sv-verify: REFUSED: report data is not this verifier's nonce" "$2" &&
		echo "PASS" || echo "FAIL"
}
echo "| cc-demo | $(result "$logdir/qemu-cc-demo.log" cc-demo) | $(result "$logdir/bochs-cc-demo.log" cc-demo) |"
echo "| cc-demo's report verified on the host (sv-verify) | $(verified "$logdir/qemu-cc-demo-verify.log") | $(verified "$logdir/bochs-cc-demo-verify.log") |"
echo "| cc-demo's report with one bit flipped, and another run's report, refused | $(refused "$logdir/qemu-cc-demo-verify.log.flipped" "$logdir/qemu-cc-demo-verify.log.replay") | $(refused "$logdir/bochs-cc-demo-verify.log.flipped" "$logdir/bochs-cc-demo-verify.log.replay") |"
# Acceptance on for every GUEST region (issue 13): each punched page of
# punch, smp-punch and stale-tlb came back only through #VE and ACCEPT
# (their exact #VE lines in tests/configs/guests.cfg's log).
accepted() {
	local n
	[ -f "$1" ] || { echo "not run"; return; }
	n=$(tr -d '\r' < "$1" | grep -cE 'punch: 23 #VEs \(23 expected\), 0 outside the holes|smp-punch: [0-9]+ #VEs \(at least [0-9]+\), 0 outside|stale-tlb: 256 #VEs \(256 expected\), 0 bad, old value after a #VE 0 times')
	[ "$n" -eq 3 ] && echo "PASS" || echo "FAIL ($n of 3 #VE lines)"
}
echo "| acceptance on by default: what the VMM punched comes back only through #VE and ACCEPT (punch, smp-punch, stale-tlb) | $(accepted "$logdir/qemu-guests.log") | $(accepted "$logdir/bochs-guests.log") |"
# Hostile control partitions: partition name, boot-test log name.
for p in hostile-control:hostile-control map-race-control:map-race \
	populate-flip-control:populate-flip exhaust-control:exhaust; do
	name=${p%%:*} log=${p#*:}
	echo "| $name | $(hostile "$logdir/qemu-$log.log" "$name") | $(hostile "$logdir/bochs-$log.log" "$name") |"
done
