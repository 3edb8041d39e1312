#!/usr/bin/env bash
# tests/linux/fetch.sh BUILD
# Fetches Debian 12's current kernel and busybox-static with apt-get (once:
# cached in BUILD/linux/, never committed) and builds the initramfs:
#   BUILD/linux/vmlinuz       the stock Debian bzImage
#   BUILD/linux/initrd.cpio   newc archive: busybox, tests/linux/init
# The kernel package is named through linux-image-amd64's dependency, so a
# Debian point release picks up its kernel without an edit here.
set -euo pipefail
build=$1
here=$(cd "$(dirname "$0")" && pwd)
out=$build/linux
mkdir -p "$out"

if [ ! -s "$out/vmlinuz" ] || [ ! -s "$out/busybox" ]; then
	pkg=$(apt-cache depends linux-image-amd64 | sed -n -E 's/^ *Depends: (linux-image-[0-9].*-amd64)$/\1/p' | head -n 1)
	[ -n "$pkg" ] || { echo "linux: apt-cache names no linux-image-*-amd64 for linux-image-amd64" \
		"(run apt-get update)" >&2; exit 1; }
	dl=$(mktemp -d "${TMPDIR:-/tmp}/sealvisor-linux.XXXXXX")
	trap 'rm -rf "$dl"' EXIT
	# _apt cannot write to a root-owned mktemp directory: let it.
	chmod 777 "$dl"
	(cd "$dl" && apt-get download -q "$pkg" busybox-static >/dev/null)
	mkdir -p "$dl/k" "$dl/b"
	dpkg-deb -x "$dl"/linux-image-*.deb "$dl/k"
	dpkg-deb -x "$dl"/busybox-static_*.deb "$dl/b"
	cp "$dl"/k/boot/vmlinuz-* "$out/vmlinuz.tmp" && mv "$out/vmlinuz.tmp" "$out/vmlinuz"
	cp "$dl/b/bin/busybox" "$out/busybox"
	echo "$pkg" > "$out/kernel-package"
fi
"$here/mkcpio.sh" "$out/initrd.cpio.tmp" "$out/busybox" "$here/init"
mv "$out/initrd.cpio.tmp" "$out/initrd.cpio"
