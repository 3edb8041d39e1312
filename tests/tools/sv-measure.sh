#!/usr/bin/env bash
# tests/tools/sv-measure.sh [sv-measure options] IMAGE
# Prints the launch digest (64 hex digits) the hypervisor should report for
# the demo VMM launching IMAGE: sv-measure's stream hashed by coreutils'
# sha256sum, independent of the hypervisor's SHA-256. SV_MEASURE names the
# tool (default: build/tools/sv-measure next to this checkout).
set -uo pipefail
tool=${SV_MEASURE:-$(dirname "$0")/../../build/tools/sv-measure}
stream=$(mktemp "${TMPDIR:-/tmp}/sv-measure.XXXXXX")
trap 'rm -f "$stream"' EXIT
# Into a file first: a failing tool must print no digest, not the hash of
# a partial stream.
"$tool" "$@" > "$stream" || exit
sha256sum < "$stream" | cut -c1-64
