#!/usr/bin/env bash
# tests/esp.sh BUILD CONFIG OUT
# Lays out an ESP: EFI/BOOT/BOOTX64.EFI, CONFIG as /sealvisor.cfg, and every
# image the config names (control =, guest = and module = lines), looked up first in
# BUILD/ and then relative to the repository. OUT ending in .img becomes a
# FAT image (QEMU); anything else a plain directory (Bochs vvfat).
set -euo pipefail
build=$1 config=$2 out=$3

[ -f "$config" ] || { echo "esp: config '$config' not found" >&2; exit 1; }
[ -f "$build/BOOTX64.EFI" ] || { echo "esp: $build/BOOTX64.EFI not built" >&2; exit 1; }

case "$out" in *.img) dir=$(mktemp -d) ;; *) dir=$out ;; esac
rm -rf "$dir" && mkdir -p "$dir/EFI/BOOT"
cp "$build/BOOTX64.EFI" "$dir/EFI/BOOT/BOOTX64.EFI"
cp "$config" "$dir/sealvisor.cfg"
images=$(sed -n -E 's/^[[:space:]]*(control|guest|module)[[:space:]]*=[[:space:]]*([^#[:space:]]+).*/\2/p' "$config")
for img in $images; do
	src=""
	for cand in "$build/$img" "$img"; do
		[ -f "$cand" ] && { src=$cand; break; }
	done
	# A missing image is left out on purpose: the hypervisor reports it.
	[ -n "$src" ] || { echo "esp: warning: '$img' named in $config not found" >&2; continue; }
	mkdir -p "$dir/$(dirname "$img")"
	cp "$src" "$dir/$img"
done

case "$out" in
*.img)
	size_kib=$(( $(du -sk "$dir" | cut -f1) + 8192 ))
	rm -f "$out"
	mkfs.fat -C -n SEALVISOR "$out" "$size_kib" >/dev/null
	MTOOLS_SKIP_CHECK=1 mcopy -s -i "$out" "$dir"/* ::/
	rm -rf "$dir"
	;;
esac
