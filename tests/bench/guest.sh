#!/usr/bin/env bash
# tests/bench/guest.sh BUILD: make bench-guest. Boots the in-guest
# micro-benchmark (tests/guests/bench-guest.c, tests/configs/bench-guest.cfg)
# under QEMU/SVM and Bochs/VMX and prints, per backend, each row's count and
# min / median / max TSC cycles as the guest measured them, and the row's
# median as a ratio to the guest's baseline loop in the same run; the same
# rows go to BUILD/bench/guest.csv and the boot logs to
# BUILD/bench/guest-BACKEND.log. Figures only: emulated cycles mean little
# alone; the ratios and counts show a change. BENCH_GUEST_BACKENDS picks the
# backends (default "qemu bochs"). Exits 1 if a boot did not end with status
# 0 and every row (the kernel fails only when an operation did not do what
# its row claims, never on time).
set -uo pipefail
build=${1:-build}
out=$build/bench
csv=$out/guest.csv
mkdir -p "$out"
declare -A title=([qemu]="QEMU/SVM (TCG)" [bochs]="Bochs/VMX")
declare -A timeout=([qemu]=500 [bochs]=1500)
status=0

echo "backend,row,count,min_cycles,median_cycles,max_cycles,ratio_to_baseline,what" > "$csv"
for b in ${BENCH_GUEST_BACKENDS:-qemu bochs}; do
	log=$out/guest-$b.log
	# Multi-threaded TCG on QEMU: punch-smp times a shootdown while vCPU 1
	# really runs (README "Known problems" says why it is not the default).
	QEMU_TCG_THREAD=multi TIMEOUT=${timeout[$b]} tests/run-$b.sh "$build" tests/configs/bench-guest.cfg >"$log" 2>&1
	rc=$?
	clean=$(tr -d '\r' < "$log")
	rows=$(sed -n -E 's/.*bench-guest: row ([a-z0-9-]+) count ([0-9]+) min ([0-9]+) median ([0-9]+) max ([0-9]+) ratio ([0-9.]+): (.*)$/\1,\2,\3,\4,\5,\6,"\7"/p' <<<"$clean")
	echo
	echo "bench-guest, ${title[$b]}: $(grep -o -m1 'clock: TSC [0-9]* kHz' <<<"$clean" || echo 'TSC rate not logged')"
	if [ $rc -ne 0 ] || [ -z "$rows" ]; then
		echo "bench-guest: the ${title[$b]} run failed (status $rc; log $log):"
		grep -E 'bench-guest: FAIL|summary:|run-(qemu|bochs):' <<<"$clean" | sed 's/^/    /'
		status=1
	fi
	[ -n "$rows" ] || continue
	printf '%-12s %6s %12s %12s %12s %9s  %s\n' row count min median max "x base" what
	while IFS=, read -r id n min med max ratio what; do
		printf '%-12s %6s %12s %12s %12s %8sx  %s\n' "$id" "$n" "$min" "$med" "$max" "$ratio" "${what//\"/}"
		echo "$b,$id,$n,$min,$med,$max,$ratio,$what" >> "$csv"
	done <<<"$rows"
	sed -n -E 's/.*(bench-guest: (fault-4k:|vCPU 1 ).*)$/\1/p' <<<"$clean"
	# The control-block writes of the whole boot (the hypervisor's
	# shutdown line): per VM entry, the cost of a round trip in writes.
	writes=$(grep -o -E '(vmx: [0-9]+ VMWRITEs|svm: [0-9]+ VMCB field writes) in [0-9]+ entries.*' <<<"$clean" | head -n 1)
	if [ -n "$writes" ]; then
		read -r nw ne <<<"$(sed -E 's/^[a-z]+: ([0-9]+) [^0-9]+ ([0-9]+) entries.*/\1 \2/' <<<"$writes")"
		printf 'control-block writes per entry: %s (%s)\n' \
			"$(awk -v w="$nw" -v e="$ne" 'BEGIN { printf "%.2f", e ? w / e : 0 }')" "$writes"
		echo "$b,writes-per-entry,$ne,$nw,$nw,$nw,,\"control-block writes (VMWRITEs or VMCB fields) over the boot's entries\"" >> "$csv"
	else
		echo "bench-guest: no control-block count in $log"
		status=1
	fi
done
echo
echo "csv: $csv"
exit $status
