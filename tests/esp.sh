#!/usr/bin/env bash
# tests/esp.sh BUILD CONFIG OUT.img
# Builds a FAT ESP image: EFI/BOOT/BOOTX64.EFI, CONFIG as \sealvisor.cfg,
# and every image the config names (control = / guest = lines), looked up
# first in BUILD/ and then relative to the repository.
set -euo pipefail
build=$1 config=$2 out=$3

[ -f "$config" ] || { echo "esp: config '$config' not found" >&2; exit 1; }
images=$(sed -n -E 's/^[[:space:]]*(control|guest)[[:space:]]*=[[:space:]]*([^#[:space:]]+).*/\2/p' "$config")

size_kib=16384
for img in $images; do
	for cand in "$build/$img" "$img"; do
		[ -f "$cand" ] && size_kib=$((size_kib + $(du -k "$cand" | cut -f1)))
	done
done
rm -f "$out"
mkfs.fat -C -n SEALVISOR "$out" "$size_kib" >/dev/null
export MTOOLS_SKIP_CHECK=1
mmd -i "$out" ::/EFI ::/EFI/BOOT
mcopy -i "$out" "$build/BOOTX64.EFI" ::/EFI/BOOT/BOOTX64.EFI
mcopy -i "$out" "$config" ::/sealvisor.cfg
for img in $images; do
	src=""
	for cand in "$build/$img" "$img"; do
		[ -f "$cand" ] && { src=$cand; break; }
	done
	# A missing image is left out on purpose: the hypervisor reports it.
	[ -n "$src" ] || { echo "esp: warning: '$img' named in $config not found" >&2; continue; }
	dir=$(dirname "$img")
	if [ "$dir" != "." ]; then
		path=""
		IFS=/ read -ra parts <<<"$dir"
		for part in "${parts[@]}"; do
			path="$path/$part"
			mmd -i "$out" "::$path" 2>/dev/null || true
		done
	fi
	mcopy -i "$out" "$src" "::/$img"
done
