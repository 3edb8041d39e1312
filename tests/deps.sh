#!/usr/bin/env bash
# Installs the Debian packages sealvisor needs to build, run and test.
# (BearSSL's source is not a package: tests/bearssl.sh fetches it with curl.)
# As root it runs apt-get; otherwise it prints the exact command to run.
set -euo pipefail

PACKAGES=(make gcc libtsan2 binutils gnu-efi nasm mtools dosfstools qemu-system-x86 ovmf
	  check pkg-config bochs bochsbios vgabios seabios
	  clang libclang-rt-14-dev acpica-tools libzydis-dev
	  curl ca-certificates xz-utils python3 python3-cryptography)

missing=()
for p in "${PACKAGES[@]}"; do
	dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "sealvisor: missing Debian packages: ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
	echo "run as root:  apt-get update && apt-get install -y ${missing[*]}" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update
apt-get install -y --no-install-recommends "${missing[@]}"
