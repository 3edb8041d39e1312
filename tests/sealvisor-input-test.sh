#!/usr/bin/env bash
# Host test of ./sealvisor's COM1 input (make unit-test): stdin is copied
# whole into the boot's work directory and loaded into guest memory, so
# more than SEALVISOR_COM1_MAX (1 MiB) must be refused at once, status 2,
# naming the limit, before anything is booted or written past the limit
# (`< /dev/zero` once filled /tmp at disk speed for 5 s, then booted).
#     tests/sealvisor-input-test.sh BUILD
set -uo pipefail
build=${1:-build}
out=$(mktemp)
head -c $((1024 * 1024 + 1)) /dev/zero |
	BUILD=$build timeout 60 ./sealvisor -kernel "$build/guests/attest.elf" --timeout 20 \
	>"$out" 2>&1
status=$?
if [ $status -eq 2 ] && grep -q "stdin: more than 1048576 bytes for COM1" "$out"; then
	echo "sealvisor-input-test: 1 passed, 0 failed"
	rm -f "$out"
	exit 0
fi
echo "FAIL sealvisor-input-test: 1 MiB + 1 byte of stdin: status $status (want 2)," \
	"output: $(head -c 400 "$out")"
rm -f "$out"
exit 1
