#!/usr/bin/env bash
# tests/parity.sh LOGDIR "KERNELS": the test kernel x backend table, from the
# summary lines of the boot-test logs (a missing line is "no result").
set -uo pipefail
logdir=$1 kernels=$2

result() {
	local log=$1 name=$2 line
	[ -f "$log" ] || { echo "not run"; return; }
	line=$(tr -d '\r' < "$log" | grep -E "summary: $name (PASS|FAIL)" | head -n 1)
	case "$line" in
	*" $name PASS"*) echo "PASS" ;;
	*" $name FAIL"*) echo "FAIL" ;;
	*) echo "no result" ;;
	esac
}

hostile() {
	local log=$1
	[ -f "$log" ] || { echo "not run"; return; }
	tr -d '\r' < "$log" | sed -n -E 's/.*hostile-control: ([0-9]+) checks, 0 failed.*/PASS (\1 checks)/p' |
		head -n 1 | grep . || echo "FAIL"
}

echo "| test kernel | SVM + NPT (QEMU) | VMX + EPT (Bochs) |"
echo "|---|---|---|"
for k in $kernels; do
	echo "| $k | $(result "$logdir/qemu-guests.log" "$k") | $(result "$logdir/bochs-guests.log" "$k") |"
done
echo "| hostile-control | $(hostile "$logdir/qemu-hostile-control.log") | $(hostile "$logdir/bochs-hostile-control.log") |"
