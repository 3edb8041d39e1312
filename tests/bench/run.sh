#!/usr/bin/env bash
# tests/bench/run.sh BUILD: the host half of make bench. Runs
# BUILD/bench-memobj (table on stdout and in BUILD/bench/table.txt, CSV in
# BUILD/bench/memobj.csv) and draws BUILD/bench/cycle.png with gnuplot,
# which it installs from Debian (gnuplot-nox) when root and missing: the
# plot is the bench's own business, make test does not need it.
set -euo pipefail
build=${1:-build}
out=$build/bench
mkdir -p "$out"
if ! command -v gnuplot >/dev/null; then
	if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q gnuplot-nox >/dev/null ||
			echo "bench: could not install gnuplot-nox: no plot" >&2
	else
		echo "bench: gnuplot missing (Debian: apt-get install gnuplot-nox): no plot" >&2
	fi
fi
"$build/bench-memobj" "$out" | tee "$out/table.txt"
if command -v gnuplot >/dev/null; then
	gnuplot "$out/cycle.gp" && echo "plot: $out/cycle.png"
fi
