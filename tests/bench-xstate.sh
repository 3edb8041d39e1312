#!/usr/bin/env bash
# tests/bench-xstate.sh BUILD: the cost of one extended-state switch (the
# XSAVE+XRSTOR pair around a guest entry, arch/x86/xstate.c), as the
# hypervisor measures it in TSC cycles over its first 4096 entries, under
# QEMU (FXSAVE: qemu64 has no XSAVE) and, with BENCH_BOCHS=1, Bochs
# (XSAVE of x87..AVX-512). A figure, never a check: emulated cycles say
# little about hardware.
set -uo pipefail
build=${1:-build}
log=$(mktemp)
trap 'rm -f "$log"' EXIT
TIMEOUT=90 tests/run-qemu.sh "$build" tests/configs/xstate.cfg >"$log" 2>&1
echo "xstate switch, QEMU/SVM: $(tr -d '\r' < "$log" | grep -o 'xstate: switch.*' || echo 'no figure (see a run of tests/configs/xstate.cfg)')"
if [ -n "${BENCH_BOCHS:-}" ]; then
	TIMEOUT=400 tests/run-bochs.sh "$build" tests/configs/xstate.cfg >"$log" 2>&1
	echo "xstate switch, Bochs/VMX: $(tr -d '\r' < "$log" | grep -o 'xstate: switch.*' || echo 'no figure')"
fi
exit 0
