#!/bin/bash
# Linux drives real PCI devices under nexit (issue 11): L2 is the
# appliance's Debian kernel with an initramfs of its own drivers
# (virtio_pci, virtio_net: tests/nested/l2.sh, tests/nested/l2-init, case
# tests/nested/l2-cases/net.sh), under both irqchips:
#
#   vfio-msix  L0's virtio-net-pci (`l0nic`: behind intel-iommu, on a
#              restrict=on user netdev, nothing leaves QEMU; tools/l1.sh
#              gives every L1 one) bound to vfio-pci here and assigned:
#              the driver binds with MSI-X, eth0 comes up, TX completions
#              and config interrupts (L0 takes the link down and up: HMP
#              set_link through $NESTED_L0_MONITOR) arrive, and nexit is on
#              none of those paths.
#   vfio-intx  the same with pci=nomsi: INTx routed by the DSDT's _PRT
#              through nexit's EOI-gated fallback; delivered == EOIs and
#              every delivery reached the driver.
#   own        nexit's own virtio-net (vhost-user backend:
#              tests/nested/vhost-user-loop.c, TX looped back to RX) and
#              irqdev: Linux binds virtio_net and lists irqdev.
#
# Raw facts asserted per case (tests/nested/check_linux_devices.py): the
# guest's /proc/interrupts counts, VMM exits during a 60-ping window read by
# the guest from nexit's counter page, nexit's per-line stats (live, with
# `nexit stat`, before and after the window, and at the end), the host
# bridge from ACPI (PNP0A08, no pci=noacpi) in the guest's dmesg, and no
# kernel WARNING/BUG/Oops in any guest log (L2's console and dmesg, L1's
# dmesg).
# test: needs=l1 timeout=1200 asan=no
source "$(dirname "$0")/../lib.sh"
need_linux_kvm
source tests/nested/lib.sh
source tests/nested/l2.sh
[ -n "${NESTED_L0_MONITOR:-}" ] ||
	fail "no NESTED_L0_MONITOR: run in the L1 machine of tools/l1.sh (tests/run.sh does)"
[ -x "$NEXIT" ] && [ -x "$NEXIT_DEVD" ] || fail "$NEXIT or $NEXIT_DEVD is not built"
[ -f build/appliance/vmlinuz ] && [ -d build/appliance/modules ] ||
	fail "no build/appliance/vmlinuz and modules (make appliance)"
[ -x /bin/busybox ] && command -v cpio objcopy >/dev/null || fail "no busybox-static, cpio or objcopy"
# L2's modules come from the appliance kernel's own package.
NESTED_KREL=$(basename "$(readlink -f build/appliance/modules)")
NESTED_KROOT=$(readlink -f build/appliance/modules); NESTED_KROOT=${NESTED_KROOT%/lib/modules/*}
VHU=build/tests/vhost-user-loop
[ -x "$VHU" ] || fail "no $VHU (make unit-bins)"
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
NESTED_BUILD=$T/nested; mkdir -p "$NESTED_BUILD"
l2_initramfs "$T/l2.cpio.gz" "virtio_pci virtio_net" tests/nested/l2-cases/net.sh ||
	fail "cannot build the L2 initramfs"
l1_dmesg0=$(dmesg | wc -l)

bind=$(sh tests/nested/l1-vfio-bind 1af4:1041) || fail "cannot bind L0's virtio-net to vfio-pci: $bind"
echo "$bind"
bdf=$(sed -n 's/.*bdf=\([^ ]*\) group=.*/\1/p' <<<"$bind")

# run_case NAME CHIP "L2 CMDLINE EXTRA" NEXIT ARGS...: nexit's console
# prefixed "L2| "; on L2-SNAP the live stats (NEXIT-SNAP), on L2-LINK-WAIT
# and L2-LINK-DOWN a request to L0's monitor. loglevel=5: the kernel's
# warnings and worse reach the console, its info lines (each byte an exit,
# slow in L2 under TCG) do not; l2-init prints the dmesg lines it needs.
run_case() {
	local name=$1 chip=$2 extra=$3 l phase
	shift 3
	echo "NESTED-CASE $name $chip"
	( timeout -k 10 240 "$NEXIT" run --irqchip "$chip" --kernel build/appliance/vmlinuz \
		--initrd "$T/l2.cpio.gz" --mem 256M --stats-json "$T/s.json" --control "$T/ctl.sock" \
		--timeout 220 --cmdline "console=ttyS0 panic=-1 loglevel=5 l2case=net $extra" \
		"$@" 2>"$T/l2.err" </dev/null
	  echo $? > "$T/rc" ) | while IFS= read -r l; do
		l=${l%$'\r'}
		echo "L2| $l"
		case $l in
		L2-SNAP*)
			phase=${l#L2-SNAP }
			echo "NEXIT-SNAP $phase $(timeout -k 2 10 "$NEXIT" stat "$T/ctl.sock" | tr -d '\n')";;
		L2-LINK-WAIT*) echo "set_link l0nic off" >> "$NESTED_L0_MONITOR";;
		L2-LINK-DOWN*) echo "set_link l0nic on" >> "$NESTED_L0_MONITOR";;
		esac
	done
	sed 's/^/NEXIT-ERR| /' "$T/l2.err"
	[ -s "$T/s.json" ] && echo "NEXIT-STATS $(tr -d '\n' < "$T/s.json")"
	echo "NESTED-CASE-END $name $chip rc=$(cat "$T/rc")"
	rm -f "$T/s.json" "$T/rc" "$T/ctl.sock"
}

# NESTED_DEVICES_IRQCHIPS / NESTED_DEVICES_CASES pick irqchips and cases
# (default: all); the checker checks only those.
CHIPS=${NESTED_DEVICES_IRQCHIPS:-split kernel}
export NESTED_DEVICES_CASES=${NESTED_DEVICES_CASES:-vfio-msix vfio-intx own}
want() { [[ " $NESTED_DEVICES_CASES " == *" $1 "* ]]; }
t0=$(date +%s)
for chip in $CHIPS; do
	want vfio-msix && run_case vfio-msix "$chip" "l2link=1" --assign "$bdf"
	want vfio-intx && run_case vfio-intx "$chip" "l2link=1 pci=nomsi" --assign "$bdf"
	want own || continue
	timeout -k 5 260 "$VHU" "$T/vhu.sock" >"$T/vhu.out" 2>&1 &
	vpid=$!
	for i in $(seq 50); do [ -S "$T/vhu.sock" ] && break; sleep 0.1; done
	run_case own "$chip" "" --device virtio-net,backend="$T/vhu.sock" --device irqdev
	wait $vpid
	sed "s/^/NESTED-VHU $chip /" "$T/vhu.out"
	rm -f "$T/vhu.sock"
done 2>&1 | tee "$T/log"
echo "cases: $(( $(date +%s) - t0 )) s"
[ -s "$NESTED_L0_MONITOR.log" ] && sed 's/^/L0-MONITOR /' "$NESTED_L0_MONITOR.log"
dmesg | tail -n +$((l1_dmesg0 + 1)) | grep -E 'WARNING: CPU|BUG:|Oops' | sed 's/^/L1-DMESG /' >> "$T/log"
python3 tests/nested/check_linux_devices.py "$T/log" $CHIPS || fail "see the lines above"
echo "pass: Linux drove the assigned virtio-net (MSI-X and INTx) and nexit's virtio-net + irqdev under: $CHIPS"
