#!/usr/bin/env bash
# tests/mb-tests.sh BUILD [KERNEL...]
# Our Multiboot test kernels (tests/mb/) three ways: on plain QEMU with
# -kernel (the reference: what a researcher's own scripts do), through
# ./sealvisor on QEMU/SVM, and through ./sealvisor --bochs (VMX). Each must
# print "NAME: N checks, 0 failed: PASS", exit through isa-debug-exit with
# the status its command line asks for, and, under sealvisor, print exactly
# the lines it printed on plain QEMU. Two CPUs each time (mb-machine starts
# the second). Logs go to BUILD/mb-logs/.
set -uo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
shift || true
kernels=${*:-${MB_KERNELS:-mb-boot}}
logs=$build/mb-logs
mkdir -p "$logs"
printf 'first line of the module\nsecond line\n' > "$logs/module.txt"
append="greet=sealvisor exit=5"
want=$(( (5 << 1) | 1 ))
failed=0

check() {   # name how log rc
	local name=$1 how=$2 log=$3 rc=$4
	if [ "$rc" -ne "$want" ]; then
		echo "FAIL: $name ($how): exit status $rc, expected $want" >&2
		tail -n 20 "$log" >&2
		failed=$((failed + 1))
		return 1
	fi
	if ! grep -q "^$name: [0-9]* checks, 0 failed: PASS$" "$log"; then
		echo "FAIL: $name ($how): no PASS line" >&2
		failed=$((failed + 1))
		return 1
	fi
	return 0
}

for k in $kernels; do
	img=$build/mb/$k.elf
	# COM1's input (-serial stdio): tests/mb/NAME.in if there is one.
	input=/dev/null
	[ -f "tests/mb/$k.in" ] && input=tests/mb/$k.in
	[ -f "$img" ] || { echo "FAIL: $img not built" >&2; failed=$((failed + 1)); continue; }
	timeout 60 qemu-system-x86_64 -machine q35 -m 128M -smp 2 -display none -no-reboot -net none \
		-serial stdio -device isa-debug-exit,iobase=0xf4,iosize=4 \
		-kernel "$img" -append "$append" -initrd "$logs/module.txt" \
		<"$input" 2>"$logs/$k.qemu.err" | tr -d '\r' > "$logs/$k.qemu.log"
	check "$k" "plain QEMU" "$logs/$k.qemu.log" "${PIPESTATUS[0]}" || continue
	for backend in svm vmx; do
		flag=""; [ $backend = vmx ] && flag=--bochs
		BUILD=$build ./sealvisor -kernel "$img" -append "$append" -initrd "$logs/module.txt" -smp 2 \
			--timeout "${TIMEOUT:-400}" $flag <"$input" 2>"$logs/$k.$backend.err" |
			tr -d '\r' > "$logs/$k.$backend.log"
		rc=${PIPESTATUS[0]}
		check "$k" "sealvisor $backend" "$logs/$k.$backend.log" "$rc" || continue
		if ! diff -u "$logs/$k.qemu.log" "$logs/$k.$backend.log" > "$logs/$k.$backend.diff"; then
			echo "FAIL: $k: sealvisor ($backend) printed other lines than plain QEMU:" >&2
			cat "$logs/$k.$backend.diff" >&2
			failed=$((failed + 1))
			continue
		fi
		echo "ok: $k on sealvisor ($backend): same output as plain QEMU, exit status $rc"
	done
done
[ $failed -eq 0 ] || { echo "mb-tests: $failed failure(s)" >&2; exit 1; }
echo "mb-tests: all passed"
