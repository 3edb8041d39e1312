#!/usr/bin/env bash
# tests/debug-qemu.sh BUILD CONFIG
# Starts QEMU paused with a gdb stub on :1234 and prints the gdb command line
# that loads sealvisor's symbols where OVMF will load the image. OVMF places
# the image at the same address on every boot of the same machine set-up,
# so one quick probe boot (same QEMU options) reads it from the banner.
set -uo pipefail
build=$1 config=$2

echo "debug: probing the load address with one normal boot..."
base=$(TIMEOUT=60 tests/run-qemu.sh "$build" "$config" 2>/dev/null |
	tr -d '\r' | sed -n -E 's/^image: loaded at (0x[0-9a-f]+).*/\1/p' | head -n 1)
if [ -z "$base" ]; then
	echo "debug: the probe boot printed no 'image: loaded at' line; symbols cannot be placed" >&2
	exit 1
fi
# The ELF is linked at 0, so its sections sit at base + their ELF address.
cat <<MSG

sealvisor will load at $base. In another terminal run:

  gdb -ex 'add-symbol-file $build/sealvisor.so -o $base' \\
      -ex 'target remote localhost:1234' -ex 'hbreak hv_main' -ex 'continue'

QEMU is paused at the reset vector until gdb continues it; Ctrl-A X quits.
MSG
TIMEOUT=${TIMEOUT:-86400} exec tests/run-qemu.sh "$build" "$config" -s -S
