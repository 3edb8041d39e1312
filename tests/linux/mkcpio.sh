#!/usr/bin/env bash
# tests/linux/mkcpio.sh OUT BUSYBOX INIT
# A newc ("070701") initramfs written without root and without cpio(1):
# /dev/console is a device node in the archive (not on disk), which the
# kernel opens for init's stdin and stdout before anything is mounted.
set -euo pipefail
out=$1 busybox=$2 init=$3
ino=1

pad() { local n=$(( (4 - $1 % 4) % 4 )); [ $n -eq 0 ] || head -c $n /dev/zero; }
# entry NAME MODE(octal) [FILE] [RDEVMAJOR RDEVMINOR]
entry() {
	local name=$1 mode=$2 file=${3:-} maj=${4:-0} min=${5:-0} size=0
	[ -z "$file" ] || size=$(stat -c %s "$file")
	ino=$((ino + 1))
	printf '070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X' \
		$ino $((8#$mode)) 0 0 1 0 "$size" 0 0 "$maj" "$min" $(( ${#name} + 1 )) 0
	printf '%s\0' "$name"
	pad $(( 110 + ${#name} + 1 ))
	if [ -n "$file" ]; then cat "$file"; pad "$size"; fi
}
{
	for d in bin dev proc sys tmp; do entry "$d" 40755; done
	entry dev/console 20600 "" 5 1
	entry bin/busybox 100755 "$busybox"
	entry init 100755 "$init"
	entry 'TRAILER!!!' 0
} > "$out"
# The archive's end padded to 512 bytes, as cpio(1) writes it.
size=$(stat -c %s "$out")
n=$(( (512 - size % 512) % 512 ))
[ $n -eq 0 ] || head -c $n /dev/zero >> "$out"
