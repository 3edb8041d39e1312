#!/usr/bin/env bash
# tests/readme-check.sh: the README's ABI facts against the headers a
# partition is built with (run by make unit-test). A new user reads the
# numbers there, not in include/sealvisor/: the version the ABI section
# says is current, the version in the refusal message it quotes, and every
# `SV_NAME` (N) or `SV_NAME` = N it names (hypercalls, exits, flags,
# limits) must be the header's. Prints each mismatch; exit 1 if any.
set -uo pipefail
cd "$(dirname "$0")/.."
exec python3 - README.md include/sealvisor/*.h <<'EOF'
import re, sys

readme, headers = open(sys.argv[1]).read(), "".join(open(h).read() for h in sys.argv[2:])
defs = {}
for name, val in re.findall(r"#define\s+(SV_\w+)\s+\(?(0x[0-9a-fA-F]+|\d+)u?\b", headers):
    defs.setdefault(name, int(val, 0))
for name, val in re.findall(r"\b(SV_\w+)\s*=\s*(0x[0-9a-fA-F]+|\d+)\s*,", headers):
    defs.setdefault(name, int(val, 0))

bad = []
def line_of(pos):
    return readme.count("\n", 0, pos) + 1

abi = f"{defs['SV_ABI_MAJOR']}.{defs['SV_ABI_MINOR']}"
now = [(m.group(1), m.start()) for m in re.finditer(r"\(now (\d+\.\d+)", readme)]
if not now:
    bad.append("no '(now X.Y' ABI version in the ABI section")
for v, pos in now:
    if v != abi:
        bad.append(f"line {line_of(pos)}: says the ABI is now {v}, the header says {abi}")
for m in re.finditer(r"this image needs (\d+\.\d+) or a later (\d+)\.x", readme):
    if m.group(1) != abi or m.group(2) != str(defs["SV_ABI_MAJOR"]):
        bad.append(f"line {line_of(m.start())}: the refusal quotes '{m.group(0)}', "
                   f"a partition built now says {abi}")

for m in re.finditer(r"`(SV_\w+)`\s*(?:\(|=\s*)(0x[0-9a-fA-F]+|\d+)\b", readme):
    name, val = m.group(1), int(m.group(2), 0)
    if name in defs and defs[name] != val:
        bad.append(f"line {line_of(m.start())}: {name} is {val}, the header says {defs[name]}")

for b in bad:
    print("readme-check: " + b)
print(f"readme-check: {'FAILED' if bad else 'ok'} (ABI {abi}, {len(defs)} header names)")
sys.exit(1 if bad else 0)
EOF
