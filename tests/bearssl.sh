#!/usr/bin/env bash
# tests/bearssl.sh DIR
# Fetches BearSSL's source as Debian ships it (the orig tarball of source
# package bearssl 0.6+dfsg.1, the one bookworm's .dsc names), checks it
# against the SHA-256 below (the value that .dsc, signed by its Debian
# maintainer, lists) and unpacks it into DIR/bearssl-0.6. Never committed:
# the Makefile builds the few files the hypervisor needs from there with the
# hypervisor's own freestanding flags (BEARSSL_SRCS). Needs curl and xz-utils
# (tests/deps.sh). A tarball already in DIR is checked again, not refetched.
set -euo pipefail
dir=$1
tarball=bearssl_0.6+dfsg.1.orig.tar.xz
url=http://deb.debian.org/debian/pool/main/b/bearssl/$tarball
sha256=102a625bd8f6155260867a50c508df8d8c3f796985dd744df1a68e5cd1a79004

mkdir -p "$dir"
if [ ! -f "$dir/$tarball" ]; then
	echo "  FETCH   $url"
	curl -fsS --retry 3 -o "$dir/$tarball.part" "$url"
	mv "$dir/$tarball.part" "$dir/$tarball"
fi
if ! echo "$sha256  $dir/$tarball" | sha256sum -c --quiet -; then
	echo "bearssl: $dir/$tarball does not have SHA-256 $sha256: refusing it" >&2
	rm -f "$dir/$tarball"
	exit 1
fi
rm -rf "$dir/bearssl-0.6"
tar --no-same-owner -C "$dir" -xJf "$dir/$tarball"
touch "$dir/bearssl-0.6/.checked"
