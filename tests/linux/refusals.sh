#!/usr/bin/env bash
# tests/linux/refusals.sh BUILD   (part of make run-linux)
# bzImages the VMM cannot boot, built here from the setup header alone (they
# are refused before anything is loaded): each must end ./sealvisor with
# status 125 and the VMM's reason naming the field and its value.
set -uo pipefail
build=$1
here=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/sealvisor-lxref.XXXXXX")
trap 'rm -rf "$work"' EXIT
failed=0

put() {  # put FILE OFFSET HEXBYTES (little-endian bytes, "\xNN..." escapes)
	printf "$3" | dd of="$1" bs=1 seek=$(($2)) conv=notrunc status=none
}
# Debian 12's header fields (tests/unit/test_linux_boot.c has the same).
image() {
	local f=$1
	head -c 65536 /dev/zero > "$f"
	put "$f" 0x1f1 '\x27'
	put "$f" 0x1fe '\x55\xaa'
	put "$f" 0x200 '\xeb\x6a'
	put "$f" 0x202 'HdrS'
	put "$f" 0x206 '\x0f\x02'
	put "$f" 0x211 '\x01'
	put "$f" 0x22c '\xff\xff\xff\x7f'
	put "$f" 0x230 '\x00\x00\x20\x00'
	put "$f" 0x234 '\x01'
	put "$f" 0x236 '\x7f\x00'
	put "$f" 0x238 '\xff\x07\x00\x00'
	put "$f" 0x258 '\x00\x00\x00\x01\x00\x00\x00\x00'
	put "$f" 0x260 '\x00\x80\xf9\x03'
}
refused() {  # refused NAME WANT (the VMM's message) -- after image + edits
	local name=$1 want=$2 rc
	BUILD=$build "$here/sealvisor" -kernel "$work/$name" -m 256M --timeout 120 \
		</dev/null > "$work/$name.out" 2> "$work/$name.err"
	rc=$?
	if [ $rc -ne 125 ] || ! grep -qF "$want" "$work/$name.err"; then
		echo "FAIL: linux refusal $name: status $rc (want 125), message wanted: $want" >&2
		tail -n 5 "$work/$name.err" >&2
		failed=$((failed + 1))
	else
		echo "ok: linux refusal $name: $want"
	fi
}

image "$work/old-protocol"
put "$work/old-protocol" 0x206 '\x0b\x02'
refused old-protocol "refused: version = 0x20b: boot protocol older than 2.12 (no 64-bit entry)"
image "$work/no-64bit-entry"
put "$work/no-64bit-entry" 0x236 '\x7e\x00'
refused no-64bit-entry "refused: xloadflags = 0x7e: XLF_KERNEL_64 clear: no 64-bit entry"
[ $failed -eq 0 ] || exit 1
