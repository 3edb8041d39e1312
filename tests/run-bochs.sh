#!/usr/bin/env bash
# tests/run-bochs.sh BUILD CONFIG
# Boots sealvisor under Bochs with a VMX+EPT CPU (corei7_skylake_x) and OVMF,
# the serial console shown live. Bochs has no exit port: sealvisor prints
# "sealvisor: exit status N" and stops the emulator with the magic
# breakpoint, so the status is read from the serial log. A run without that
# line (hang, emulator crash, triple fault) exits 125.
set -uo pipefail
build=$1 config=$2
: "${CPUS:=2}" "${MEGS:=512}" "${TIMEOUT:=300}" "${CPU_MODEL:=corei7_skylake_x}"

work=$(mktemp -d "${TMPDIR:-/tmp}/sealvisor-bochs.XXXXXX")
trap 'kill $tailpid 2>/dev/null; [ -n "${KEEP:-}" ] || rm -rf "$work"' EXIT
tests/esp.sh "$build" "$config" "$work/esp" || exit 125
# Bochs takes at most a 2 MiB ROM: the 2 MiB OVMF build plus its variables.
cat /usr/share/OVMF/OVMF_VARS.fd /usr/share/OVMF/OVMF_CODE.fd > "$work/ovmf-bochs.fd"
# megs (and memory's host=) stop at 2048: more guest RAM is backed by
# Bochs's own swapping past host=.
memory="megs: $MEGS"
[ "$MEGS" -le 2048 ] || memory="memory: guest=$MEGS, host=2048"
cat > "$work/bochsrc" <<RC
$memory
cpu: model=$CPU_MODEL, count=$CPUS, ips=50000000, reset_on_triple_fault=0, ignore_bad_msrs=1
romimage: file=$work/ovmf-bochs.fd, address=0xffe00000
vgaromimage: file=/usr/share/seabios/vgabios-stdvga.bin
pci: enabled=1, chipset=i440fx
display_library: rfb, options="timeout=0"
ata0: enabled=1, ioaddr1=0x1f0, ioaddr2=0x3f0, irq=14
ata0-master: type=disk, path=$work/esp, mode=vvfat, journal=$work/vvfat.redolog
boot: disk
com1: enabled=1, mode=file, dev=$work/com1.out
port_e9_hack: enabled=1
magic_break: enabled=1
log: $work/bochs.log
panic: action=fatal
# no sound card here: the ALSA mixer thread would crash Bochs
sound: waveoutdrv=dummy, waveindrv=dummy, midioutdrv=dummy
speaker: enabled=0
RC
printf 'c\nquit\n' > "$work/dbg.rc"
: > "$work/com1.out"
tail -f "$work/com1.out" & tailpid=$!
timeout "$TIMEOUT" bochs-bin -q -f "$work/bochsrc" -rc "$work/dbg.rc" </dev/null >"$work/bochs.out" 2>&1
rc=$?
sleep 0.3
kill $tailpid 2>/dev/null
echo
status=$(tr -d '\r' < "$work/com1.out" | sed -n -E 's/^sealvisor: exit status ([0-9]+)$/\1/p' | tail -n 1)
if [ -n "$status" ]; then
	exit "$status"
fi
[ $rc -eq 124 ] && echo "run-bochs: timed out after ${TIMEOUT}s" >&2
echo "run-bochs: Bochs ended (rc $rc) without an exit status from sealvisor; last log lines:" >&2
tail -n 15 "$work/bochs.log" >&2
exit 125
