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
# Hostile control partitions: partition name, boot-test log name.
for p in hostile-control:hostile-control map-race-control:map-race \
	populate-flip-control:populate-flip exhaust-control:exhaust; do
	name=${p%%:*} log=${p#*:}
	echo "| $name | $(hostile "$logdir/qemu-$log.log" "$name") | $(hostile "$logdir/bochs-$log.log" "$name") |"
done
