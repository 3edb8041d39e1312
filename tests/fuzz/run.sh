#!/usr/bin/env bash
# Runs the hypercall fuzzer and reports executions and findings.
#   tests/fuzz/run.sh BINARY WORKDIR RUNS JOBS SEED
# RUNS executions in all, split over JOBS processes (one per core).
# SEED 0: a long run; the jobs share WORKDIR/corpus (seeded from
#   tests/fuzz/corpus, kept between runs) and a job that stops on a finding
#   is restarted for its remaining executions, so one bug does not end it.
# SEED n: a reproducible smoke run; job k uses seed n+k and its own fresh
#   copy of tests/fuzz/corpus, and stops at its first finding.
# Every file in tests/fuzz/regress is run once first (a fixed finding that
# must stay fixed, too slow to be a seed). tests/fuzz/corpus itself is only ever read. Exit status 1 on any finding
# or if a job did not finish its executions.
set -uo pipefail

bin=$1 work=$2 runs=$3 jobs=$4 seed=$5
max_restarts=20

rm -rf "$work/artifacts" "$work"/job-*.log
mkdir -p "$work/artifacts"
per=$(( (runs + jobs - 1) / jobs ))

# One job: runs libFuzzer until its share of executions is done.
job() {
	local k=$1 corpus s left=$per restarts=0 done_now log="$work/job-$1.log"
	if [ "$seed" -eq 0 ]; then
		corpus=$work/corpus
		s=0
	else
		corpus=$work/corpus-$k
		rm -rf "$corpus"
		cp -r tests/fuzz/corpus "$corpus"
		s=$((seed + k))
	fi
	: > "$log"
	while [ "$left" -gt 0 ]; do
		"$bin" -runs="$left" -seed="$s" -max_len=1024 -timeout=20 -print_final_stats=1 \
			-artifact_prefix="$work/artifacts/" "$corpus" >> "$log" 2>&1
		done_now=$(grep -a 'stat::number_of_executed_units:' "$log" | tail -1 | awk '{print $2}')
		echo "job $k: executed ${done_now:-?} (this pass)" >> "$work/job-$k.passes"
		left=$((left - ${done_now:-0}))
		restarts=$((restarts + 1))
		if [ "$seed" -ne 0 ] || [ "$restarts" -gt "$max_restarts" ] || [ -z "${done_now:-}" ]; then
			break
		fi
	done
}

# Reproducers of fixed findings that exhaust memory: run once each, not
# seeded (as mutation seeds they made every execution 3x slower).
if ! "$bin" tests/fuzz/regress/* > "$work/regress.log" 2>&1; then
	echo "fuzz: a fixed finding came back (tests/fuzz/regress/; log $work/regress.log):"
	grep -a -e '^==== fuzz_hypercalls' -e '^panic:' "$work/regress.log" | sed 's/^/fuzz:   /'
	exit 1
fi
echo "fuzz: $(ls tests/fuzz/regress | wc -l) regression inputs in tests/fuzz/regress/ pass"
mkdir -p "$work/corpus"
cp -n tests/fuzz/corpus/* "$work/corpus/" 2>/dev/null
rm -f "$work"/job-*.passes
start=$(date +%s)
for k in $(seq 0 $((jobs - 1))); do
	job "$k" &
done
wait
secs=$(( $(date +%s) - start ))

total=0
for f in "$work"/job-*.log; do
	n=$(grep -a 'stat::number_of_executed_units:' "$f" | awk '{s += $2} END {print s + 0}')
	total=$((total + n))
done
findings=$(find "$work/artifacts" -type f \( -name 'crash-*' -o -name 'leak-*' -o -name 'timeout-*' \
	-o -name 'oom-*' \) | wc -l)

echo "fuzz: $total executions in ${secs}s ($(( total / (secs > 0 ? secs : 1) )) exec/s over $jobs jobs), $findings finding(s)"
if [ "$findings" -gt 0 ]; then
	echo "fuzz: reproducers in $work/artifacts/ (run one: $bin FILE; FUZZ_TRACE=1 prints each step)"
	grep -ah -e '^==== fuzz_hypercalls' -e '^panic:' -e 'ERROR: AddressSanitizer' -e 'runtime error' \
		-e 'ERROR: libFuzzer' "$work"/job-*.log | sed 's/^==[0-9]*== //' | grep -v 'deadly signal' |
		sort | uniq -c | sed 's/^/fuzz:   /'
	exit 1
fi
if [ "$total" -lt "$runs" ]; then
	echo "fuzz: only $total of $runs executions ran (see $work/job-*.log)"
	exit 1
fi
