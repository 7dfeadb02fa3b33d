#!/bin/bash
# Bad passthrough input gets one "nexit: error:" line and exit status 2:
# irqdev options, an unreachable backend, VFIO assignment on a host that
# cannot do it (wrong BDF, no IOMMU / not bound to vfio-pci), nexit stat and
# nexit-devd usage.
# test: needs=kvm
source "$(dirname "$0")/../lib.sh"
[ -x "$NEXIT" ] && [ -x "$NEXIT_DEVD" ] && [ -f "$PROBE" ] || skip "build/nexit, nexit-devd or probe.elf missing (run make)"
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT

# expect_err WHAT PATTERN CMD...: exit status 2 (nexit's own error, even
# unlike any isa-debug-exit status), exactly one error line matching PATTERN.
expect_err() {
	local what=$1 pat=$2; shift 2
	timeout -k 5 30 "$@" >"$T/out" 2>"$T/err"
	local rc=$?
	[ $rc -eq 2 ] || fail "$what: exit status $rc, expected 2"
	[ "$(grep -c '^nexit: error:' "$T/err")" -eq 1 ] || fail "$what: not one error line: $(cat "$T/err")"
	grep -q "$pat" "$T/err" || fail "$what: error does not say '$pat': $(cat "$T/err")"
	echo "ok: $what: $(grep '^nexit: error:' "$T/err")"
}

expect_err "stat without socket" "usage: nexit stat" "$NEXIT" stat
expect_err "stat of a missing socket" "cannot connect to control socket" "$NEXIT" stat "$T/none.sock"
expect_err "devd without a socket" "exactly one of --socket" "$NEXIT_DEVD"
expect_err "devd bad wait" "not block, poll or adaptive" "$NEXIT_DEVD" --wait spin --fd 0
expect_err "bad BDF syntax" "PCI address" "$NEXIT" run --kernel "$PROBE" --timeout 10 --assign zz:1

need_kvm
R=("$NEXIT" run --kernel "$PROBE" --timeout 10)
expect_err "irqdev wait" "wait must be block, poll or adaptive" "${R[@]}" --device irqdev,wait=spin
expect_err "irqdev msi" "msi must be on or off" "${R[@]}" --device irqdev,msi=maybe
expect_err "irqdev slot" "slot must be" "${R[@]}" --device irqdev,slot=40
expect_err "backend missing" "cannot connect to backend" "${R[@]}" --device "irqdev,backend=$T/no.sock"
expect_err "two devices in one slot" "slot 3 is taken" "${R[@]}" --device irqdev,slot=3 --device irqdev,slot=3
expect_err "no such PCI device" "no such PCI device" "${R[@]}" --assign 0000:ff:1f.7
# A real device of this host: refused for the first reason that applies.
dev=$(ls /sys/bus/pci/devices 2>/dev/null | head -n1)
if [ -n "$dev" ]; then
	expect_err "assign $dev" "no IOMMU\|not bound to vfio-pci\|IOMMU group\|/dev/vfio" "${R[@]}" --assign "$dev"
fi
echo "pass: passthrough input errors"
