#!/usr/bin/env bash
# tests/mb-tests.sh BUILD [KERNEL...]
# Our Multiboot test kernels (tests/mb/) three ways: on plain QEMU with
# -kernel (the reference: what a researcher's own scripts do), and under
# sealvisor on QEMU/SVM and on Bochs/VMX. Each run must print
# "NAME: N checks, 0 failed: PASS", end through isa-debug-exit with the
# status its command line asks for, and, under sealvisor, print exactly the
# lines it printed on plain QEMU. Two CPUs each; the kernels in
# MB_SMP1_KERNELS (default mb-accept mb-ipi) run once more with one CPU
# and must print their SKIP line. Logs go to BUILD/mb-logs/ (RUN.qemu.log,
# RUN.svm.log, RUN.vmx.log; RUN is NAME or NAME-1cpu).
#
# Time: a sealvisor boot costs ~7 s on QEMU/SVM and ~20 s on Bochs/VMX
# before any kernel runs, so one boot per kernel would cost minutes. The
# acceptance kernel (MB_RUNNER_KERNEL, default mb-accept) goes through
# ./sealvisor itself, the runner users call, whose exit status must be
# QEMU's; every other run is a guest of one shared boot per backend (the
# VMM runs the guests of a sealvisor.cfg one after another, each on a fresh
# machine, as ./sealvisor's config would: at most SV_MAX_MODULES files per
# boot, so several boots if needed). The SVM and VMX lanes run at once,
# one core each.
set -uo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
shift || true
kernels=${*:-${MB_KERNELS:-mb-boot}}
smp1=${MB_SMP1_KERNELS-mb-accept mb-ipi}
runner_kernel=${MB_RUNNER_KERNEL-mb-accept}
timeout_s=${TIMEOUT:-500}
logs=$build/mb-logs
batches=$build/mb-batch
max_modules=16                     # SV_MAX_MODULES: .vm files, kernels, module.txt
rm -rf "$logs" "$batches"
mkdir -p "$logs" "$batches"
printf 'first line of the module\nsecond line\n' > "$logs/module.txt"
append="greet=sealvisor exit=5"
want=$(( (5 << 1) | 1 ))
failed=0
start=$(date +%s)

fail() { echo "FAIL: $*" >&2; failed=$((failed + 1)); }

# The runs: "RUN KERNEL CPUS".
runs=()
for k in $kernels; do
	[ -f "$build/mb/$k.elf" ] || { fail "$build/mb/$k.elf not built"; continue; }
	runs+=("$k $k 2")
	case " $smp1 " in *" $k "*) runs+=("$k-1cpu $k 1") ;; esac
done

# COM1's input (QEMU's -serial stdio: stdin): tests/mb/NAME.in if there
# is one, copied where the sealvisor boots find their modules.
input_of() {   # kernel -> the file, or /dev/null
	if [ -f "tests/mb/$1.in" ]; then
		cp "tests/mb/$1.in" "$logs/$1.in"
		echo "$logs/$1.in"
	else
		echo /dev/null
	fi
}

# ---- the reference: plain QEMU ------------------------------------------
for r in "${runs[@]}"; do
	read -r run k cpus <<< "$r"
	input=$(input_of "$k")
	timeout 60 qemu-system-x86_64 -machine q35 -m 128M -smp "$cpus" -display none -no-reboot \
		-net none -serial stdio -device isa-debug-exit,iobase=0xf4,iosize=4 \
		-kernel "$build/mb/$k.elf" -append "$append" -initrd "$logs/module.txt" \
		<"$input" 2>"$logs/$run.qemu.err" | tr -d '\r' > "$logs/$run.qemu.log"
	echo "${PIPESTATUS[0]}" > "$logs/$run.qemu.rc"
done

# ---- sealvisor: batches of guests, one boot each -------------------------
# Writes BATCHDIR/sealvisor.cfg and a .vm per run; the VMM names each guest
# after its .vm file, so its lines come as "[control] [RUN] text".
batch_runs=() n=0 used=$max_modules
for r in "${runs[@]}"; do
	read -r run k cpus <<< "$r"
	[ "$run" = "$runner_kernel" ] && continue
	need=2
	[ $n -gt 0 ] && grep -q "^module = mb/$k.elf$" "$batches/$n/sealvisor.cfg" && need=1
	input=""
	[ -f "tests/mb/$k.in" ] && input=mb-logs/$k.in need=$((need + 1))
	if [ $((used + need)) -gt $max_modules ]; then
		n=$((n + 1)) used=1
		mkdir -p "$batches/$n"
		printf 'control = control.elf\nlog.level = warn\nselftest = off\nmodule = mb-logs/module.txt\n' \
			> "$batches/$n/sealvisor.cfg"
		need=2
	fi
	printf 'kernel = mb/%s.elf\nappend = %s\ninitrd = mb-logs/module.txt\nmemory = 128M\nvcpus = %s\n' \
		"$k" "$append" "$cpus" > "$batches/$n/$run.vm"
	if [ -n "$input" ]; then
		echo "com1_input = $input" >> "$batches/$n/$run.vm"
		echo "module = $input" >> "$batches/$n/sealvisor.cfg"
	fi
	echo "guest = mb-batch/$n/$run.vm" >> "$batches/$n/sealvisor.cfg"
	grep -q "^module = mb/$k.elf$" "$batches/$n/sealvisor.cfg" ||
		echo "module = mb/$k.elf" >> "$batches/$n/sealvisor.cfg"
	used=$((used + need))
	batch_runs[$n]="${batch_runs[$n]:-} $run"
done

# One boot of batch n on a backend; splits its console into RUN.BACKEND.log
# and RUN.BACKEND.rc ((value << 1) | 1 for the value written to 0xf4, as
# QEMU and ./sealvisor report it; 125 if the guest never wrote one).
boot_batch() {   # backend n
	local backend=$1 n=$2 raw=$logs/batch$2.$1.raw run value
	if [ "$backend" = svm ]; then
		SMP=2 MEM=896M TIMEOUT=$timeout_s tests/run-qemu.sh "$build" "$batches/$n/sealvisor.cfg"
	else
		CPUS=2 MEGS=896 TIMEOUT=$timeout_s tests/run-bochs.sh "$build" "$batches/$n/sealvisor.cfg"
	fi </dev/null 2>&1 | tr -d '\r' > "$raw"
	for run in ${batch_runs[$n]}; do
		sed -n -E "s/^\[control\] \[$run(\/[0-9]+)?\] ?//p" "$raw" > "$logs/$run.$backend.log"
		value=$(sed -n -E "s/^\[control\] \[vmm\] $run: isa-debug-exit value ([0-9]+)$/\1/p" "$raw" | tail -n 1)
		if [ -n "$value" ]; then
			echo $(( ((value << 1) | 1) & 255 )) > "$logs/$run.$backend.rc"
		else
			echo 125 > "$logs/$run.$backend.rc"
		fi
	done
}

# The acceptance kernel through the runner itself.
through_runner() {   # backend
	local flag=""
	[ "$1" = vmx ] && flag=--bochs
	BUILD=$build ./sealvisor -kernel "$build/mb/$runner_kernel.elf" -append "$append" \
		-initrd "$logs/module.txt" -smp 2 --timeout "$timeout_s" $flag \
		<"$(input_of "$runner_kernel")" 2>"$logs/$runner_kernel.$1.err" | tr -d '\r' > "$logs/$runner_kernel.$1.log"
	echo "${PIPESTATUS[0]}" > "$logs/$runner_kernel.$1.rc"
}

lane() {   # backend
	local i
	case " ${runs[*]} " in *" $runner_kernel $runner_kernel 2 "*) through_runner "$1" ;; esac
	for ((i = 1; i <= n; i++)); do
		boot_batch "$1" $i
	done
}
# Each lane's wall and CPU time: on a busy host the CPU time says what the
# wall time would be on an idle one.
timed_lane() {   # backend
	TIMEFORMAT="mb-tests: the $1 lane (runner, $n shared boot(s)): %0R s, CPU %0U s user + %0S s system"
	time lane "$1"
}
timed_lane svm & svm_lane=$!
timed_lane vmx & vmx_lane=$!
wait $svm_lane $vmx_lane

# ---- verdicts --------------------------------------------------------------
check() {   # run how log rc
	local run=$1 how=$2 log=$3 rc=$4 name=${1%-1cpu}
	if [ "$rc" != "$want" ]; then
		fail "$run ($how): exit status $rc, expected $want"
		tail -n 20 "$log" >&2
		return 1
	fi
	if ! grep -q "^$name: [0-9]* checks, 0 failed: PASS$" "$log"; then
		fail "$run ($how): no PASS line"
		return 1
	fi
	if [ "$run" != "$name" ] && ! grep -q "^$name: SKIP" "$log"; then
		fail "$run ($how): one CPU, but no SKIP line"
		return 1
	fi
	return 0
}

for r in "${runs[@]}"; do
	read -r run k cpus <<< "$r"
	check "$run" "plain QEMU, $cpus CPU(s)" "$logs/$run.qemu.log" "$(cat "$logs/$run.qemu.rc")" || continue
	how="a guest of a shared boot"
	[ "$run" = "$runner_kernel" ] && how="through ./sealvisor"
	for backend in svm vmx; do
		log=$logs/$run.$backend.log
		check "$run" "sealvisor $backend, $how" "$log" "$(cat "$logs/$run.$backend.rc" 2>/dev/null || echo none)" ||
			continue
		if ! diff -u "$logs/$run.qemu.log" "$log" > "$logs/$run.$backend.diff"; then
			fail "$run: sealvisor ($backend) printed other lines than plain QEMU:"
			cat "$logs/$run.$backend.diff" >&2
			continue
		fi
		echo "ok: $run on sealvisor ($backend, $how): same output as plain QEMU, exit status $want"
	done
done
echo "mb-tests: ${#runs[@]} runs, $(( $(date +%s) - start )) s"
[ $failed -eq 0 ] || { echo "mb-tests: $failed failure(s)" >&2; exit 1; }
echo "mb-tests: all passed"
