#!/usr/bin/env bash
# tests/boot-tests.sh BUILD
# Boots the real image under QEMU (SVM+NPT) and Bochs (VMX+EPT) and checks
# what a user would: the banner, the exit status, the error for a bad config
# and the exception dump. Prints "N passed, N failed"; exits non-zero on any
# failure.
set -uo pipefail
build=${1:-build}
passed=0 failed=0
logdir=$build/boot-logs
mkdir -p "$logdir"

# check NAME EXPECTED_STATUS LOG PATTERN...: every pattern must appear.
check() {
	local name=$1 want=$2 got=$3 log=$4
	shift 4
	local why=""
	[ "$got" -eq "$want" ] || why="exit status $got, expected $want"
	for pat in "$@"; do
		grep -qE -- "$pat" "$log" || why="${why:+$why; }no line matching '$pat'"
	done
	if [ -z "$why" ]; then
		passed=$((passed + 1))
		echo "PASS $name"
	else
		failed=$((failed + 1))
		echo "FAIL $name: $why (log: $log)"
		tail -n 20 "$log" | sed 's/^/    | /'
	fi
}

qemu() {  # qemu NAME CONFIG EXPECTED PATTERN...
	local name=$1 cfg=$2 want=$3
	shift 3
	local log=$logdir/qemu-$name.log
	TIMEOUT=60 tests/run-qemu.sh "$build" "$cfg" >"$log" 2>&1
	check "qemu/$name" "$want" $? "$log" "$@"
}

bochs() {
	local name=$1 cfg=$2 want=$3
	shift 3
	local log=$logdir/bochs-$name.log
	TIMEOUT=180 tests/run-bochs.sh "$build" "$cfg" >"$log" 2>&1
	check "bochs/$name" "$want" $? "$log" "$@"
}

banner='^== sealvisor .*: a type-1 hypervisor'
qemu default tests/configs/default.cfg 0 "$banner" \
	'^memory: total [1-9][0-9]* MiB, usable [1-9][0-9]* MiB, free [1-9][0-9]* MiB' \
	'^cpus: 2 ' '^virtualization: SVM rev [0-9]+, NPT' 'SVM enabled on the boot CPU' \
	'selftest: allocator ok' '^sealvisor: exit status 0'
qemu bad-line tests/configs/bad-line.cfg 2 \
	"sealvisor.cfg:3: expected 'key = value', found 'this line has no equals sign'" \
	'^sealvisor: exit status 2'
qemu unknown-key tests/configs/unknown-key.cfg 2 "sealvisor.cfg:2: unknown key 'memory.size'"
qemu missing-image tests/configs/missing-image.cfg 2 \
	"cannot open 'guests/does-not-exist.elf': not found"
qemu fault-ud2 tests/configs/fault-ud2.cfg 3 \
	'CPU exception: vector 6 \(#UD invalid opcode\)' '^rip 0x[0-9a-f]+ \(sealvisor.so\+0x' \
	'^rax [0-9a-f]{16} rbx' '^backtrace' '^  0x[0-9a-f]+ \(sealvisor.so\+0x' \
	'^sealvisor: exit status 3'
qemu fault-pf tests/configs/fault-pf.cfg 3 \
	'CPU exception: vector 14 \(#PF page fault\)' 'page fault address \(cr2\) 0x0, read not-present'
bochs default tests/configs/default.cfg 0 "$banner" \
	'^virtualization: VMX \(true controls\), EPT' 'VPID' 'VMX enabled on the boot CPU' \
	'selftest: allocator ok' '^sealvisor: exit status 0'
bochs bad-line tests/configs/bad-line.cfg 2 "sealvisor.cfg:3: expected 'key = value'"

echo "boot tests: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
