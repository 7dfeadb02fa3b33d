#!/bin/bash
# test: needs=none timeout=600
# Nested arm64 test (issue 13): MSI-X of an assigned device, driven by a real
# driver. L0 gives the arm64 L1 machine (GICv4, SMMUv3, tests/nested/
# lib_arm64.sh) a virtio-net-pci function (modern only, behind the SMMU, on
# QEMU's user network with restrict=on: nothing leaves QEMU). L1 binds it to
# vfio-pci; nexit assigns it to a Linux L2 (Debian's arm64 kernel), whose
# virtio_net drives it with MSI-X: one vector for the configuration, one per
# queue. L2 pings the user network's gateway (10.0.2.2, answered by QEMU).
# Asserted, as raw facts:
#   - L2's /proc/interrupts: virtio's input and output MSI-X vectors counted
#     up across the pings, and every ping was answered;
#   - L1's debugfs kvm/*/vgic-state while L2 ran: the LPIs of the vectors are
#     hardware-backed (H bit of PLAEHCG: a GICv4 vLPI), at least two of them;
#   - nexit's stats JSON: the function's MSI-X vectors are routed (active)
#     and nexit's exit count on their live path (live_exits) is exactly 0.
source "$(dirname "$0")/lib.sh"
source tests/nested/lib_arm64.sh
nested_a64_need_tools

make --no-print-directory -s ARCH=arm64 build/arm64/nexit >&2 || fail "make ARCH=arm64 failed"
mkdir -p "$NESTED_BUILD"
PINGS=${PINGS:-8}

# ---- L2: Debian's arm64 kernel, busybox and virtio_net's modules ----------
l2init=$NESTED_BUILD/msix-l2-init
cat > "$l2init" <<'L2'
#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
for m in $(cat /etc/modules); do insmod /lib/modules/$m || echo "L2-INSMOD-FAIL $m"; done
i=0
while [ ! -e /sys/class/net/eth0 ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
n=$(sed -n 's/.*l2.pings=\([0-9]*\).*/\1/p' /proc/cmdline)
ip link set eth0 up
ip addr add 10.0.2.15/24 dev eth0
grep -E 'virtio' /proc/interrupts | sed 's/^/L2-IRQ-BEFORE /'
for d in /sys/bus/pci/devices/*; do
	echo "L2-PCI $(basename $d) $(cat $d/vendor):$(cat $d/device) driver=$(basename "$(readlink $d/driver)" 2>/dev/null) msi_irqs=$(ls $d/msi_irqs 2>/dev/null | tr '\n' ,)"
done
ping -c "${n:-8}" -W 3 10.0.2.2 > /tmp/ping 2>&1
sed 's/^/L2-PING /' /tmp/ping
grep -E 'virtio' /proc/interrupts | sed 's/^/L2-IRQ-AFTER /'
echo L2-DONE
poweroff -f
L2
l2=$NESTED_BUILD/msix-l2.cpio.gz
st=$(mktemp -d "$NESTED_BUILD/msix-l2.XXXXXX")
mkdir -p "$st"/{bin,proc,sys,dev,tmp,etc,lib/modules}
cp "$A64_BUILD/busybox/bin/busybox" "$st/bin/busybox"
install -m 0755 "$l2init" "$st/init"
ko=$(_nested_resolve virtio_net virtio_pci) || { rm -rf "$st"; fail "cannot resolve virtio_net's modules"; }
: > "$st/etc/modules"
for f in $ko; do cp "$f" "$st/lib/modules/"; basename "$f" >> "$st/etc/modules"; done
( cd "$st" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet ) | gzip -1 > "$l2"
rm -rf "$st"

# ---- L1: bind the function to vfio-pci, run nexit, watch vgic-state -------
script=$NESTED_BUILD/msix-l1.sh
cat > "$script" <<L1
PINGS=$PINGS
L1
cat >> "$script" <<'L1'
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
dmesg | grep -aiE "GICv4" | sed 's/^/L1-DMESG| /'
net=""
for d in /sys/bus/pci/devices/*; do
	[ "$(cat $d/vendor)" = 0x1af4 ] && [ "$(cat $d/device)" = 0x1041 ] && net=$(basename $d)
done
[ -n "$net" ] || { echo "L1-NO-VIRTIO-NET"; exit 1; }
echo vfio-pci > /sys/bus/pci/devices/$net/driver_override
echo $net > /sys/bus/pci/drivers_probe
drv=$(basename "$(readlink /sys/bus/pci/devices/$net/driver)" 2>/dev/null)
grp=$(basename "$(readlink /sys/bus/pci/devices/$net/iommu_group)" 2>/dev/null)
echo "L1-VFIO bdf=$net driver=$drv group=$grp"
[ "$drv" = vfio-pci ] && [ -n "$grp" ] || exit 1
printf '[device "net"]\nassign = %s\n' "$net" > /tmp/net.ini
/bin/nexit run --config /tmp/net.ini --kernel vmlinuz --initrd l2.cpio.gz --mem 256M --cpus 1 \
	--timeout 200 --stats-json /tmp/stats.json --control /tmp/nexit.sock \
	--cmdline "console=ttyS0 earlycon=uart8250,mmio,0x09000000 panic=-1 l2.pings=$PINGS" \
	>/tmp/l2.out 2>/tmp/l2.err &
pid=$!
while kill -0 $pid 2>/dev/null; do
	for f in /sys/kernel/debug/kvm/*/vgic-state; do
		[ -r "$f" ] && grep ' LPI ' "$f" >> /tmp/lpis 2>/dev/null
	done
	[ -S /tmp/nexit.sock ] && /bin/nexit stat /tmp/nexit.sock > /tmp/live.new 2>/dev/null &&
		mv /tmp/live.new /tmp/live
	sleep 0.5
done
wait $pid
rc=$?
sed 's/^/L2| /' /tmp/l2.out
sed 's/^/NEXIT-ERR| /' /tmp/l2.err
[ -s /tmp/lpis ] && sort /tmp/lpis | uniq -c | sed 's/^/VGIC-LPI| /'
[ -s /tmp/stats.json ] && echo "NEXIT-STATS $(tr -d '\n' < /tmp/stats.json)"
[ -s /tmp/live ] && echo "NEXIT-LIVE $(tr -d '\n' < /tmp/live)"
echo "NESTED-NEXIT-RC=$rc"
exit $rc
L1

NESTED_MODULES="vfio-pci vfio_iommu_type1 vfio_virqfd"
NESTED_TEST_TIMEOUT=240
NESTED_A64_APPEND="kvm-arm.vgic_v4_enable=1"
initrd=$NESTED_BUILD/msix-l1.cpio
log=$NESTED_BUILD/msix-l1.log
nested_a64_initramfs "$initrd" "$script" build/arm64/nexit=/bin/nexit \
	"$NESTED_VMLINUZ=vmlinuz" "$l2=l2.cpio.gz" || fail "cannot build the L1 initramfs"
nested_a64_boot "$initrd" "$log" 290 \
	-netdev user,id=n0,restrict=on \
	-device virtio-net-pci,netdev=n0,disable-legacy=on,iommu_platform=on,romfile=
qrc=$?
echo "L1 serial log: $log (QEMU status $qrc, ${NESTED_BOOT_MS} ms)"
grep -a -E '^(NESTED-|L1-|NEXIT-ERR\||VGIC-LPI\||L2\| (L2-|nexit))' "$log" | tr -d '\r' | tail -n 60

[ $qrc -eq 124 ] && fail "L1 machine timed out after 290 s"
grep -aq '^NESTED-KVM-OK' "$log" || fail "L1 has no /dev/kvm"
grep -aq '^L1-VFIO .*driver=vfio-pci' "$log" || fail "L1 could not bind the virtio-net function to vfio-pci"
grep -aq '^L2| L2-DONE' "$log" || fail "L2 never finished (nexit status $(nested_rc "$log"))"

# L2's /proc/interrupts: "N: count [count...] chip hwirq Edge virtioK-input.0".
irq_count() {	# BEFORE|AFTER NAME: summed over CPUs
	grep -a "^L2| L2-IRQ-$1 " "$log" | tr -d '\r' | grep -- "-$2\$" |
		awk '{ s = 0; for (i = 4; i <= NF; i++) { if ($i ~ /^[0-9]+$/) s += $i; else break } print s; exit }'
}
in0=$(irq_count BEFORE input.0) in1=$(irq_count AFTER input.0)
out0=$(irq_count BEFORE output.0) out1=$(irq_count AFTER output.0)
recv=$(grep -a '^L2| L2-PING ' "$log" | tr -d '\r' | sed -n 's/.* \([0-9]*\) packets received.*/\1/p' | tail -n1)
# vgic-state: "VGIC-LPI| <snapshots> LPI <intid> <vcpu> PLAEHCG ..." (vgic-debug.c)
lpis_hw=$(grep -a '^VGIC-LPI|' "$log" | tr -d '\r' |
	awk '$3=="LPI" && substr($6,5,1)=="1" { hw[$4] = 1 } END { print length(hw) }')
lpis_all=$(grep -a '^VGIC-LPI|' "$log" | tr -d '\r' | awk '$3=="LPI" { a[$4] = 1 } END { print length(a) }')
stats=$(grep -a '^NEXIT-STATS ' "$log" | tr -d '\r' | tail -n1)
# The function's MSI-X lines ("id": "net.msixN") of nexit's stats JSON.
msix_json=$(echo "${stats#NEXIT-STATS }" | python3 -c '
import json, sys
try:
    lines = json.load(sys.stdin)["irq"]["lines"]
except Exception:
    lines = []
m = [l for l in lines if str(l.get("id", "")).startswith("net.msix")]
print(sum(1 for l in m if l.get("state") == "active"), sum(int(l.get("live_exits") or 0) for l in m))
for l in m[:4]:
    print(" ", json.dumps({k: l.get(k) for k in ("id", "gsi", "state", "live_exits", "route_updates")}))
')
n_msix=$(echo "$msix_json" | head -n1 | cut -d' ' -f1) live=$(echo "$msix_json" | head -n1 | cut -d' ' -f2)
msix_lines=$(echo "$msix_json" | tail -n +2)
echo "L2 pings answered: ${recv:-?} of $PINGS"
echo "virtio input.0 MSI-X: ${in0:-?} -> ${in1:-?}; output.0: ${out0:-?} -> ${out1:-?}"
echo "vgic-state LPIs seen: ${lpis_all:-0}, hardware-backed (H=1): ${lpis_hw:-0}"
echo "nexit: MSI-X vectors active: $n_msix, live-path exits on them: $live"
echo "$msix_lines"

[ -n "$in1" ] && [ -n "$out1" ] ||
	fail "L2's /proc/interrupts has no virtio input.0/output.0 MSI-X vectors (virtio_net on INTx or not probed)"
[ "${recv:-0}" = "$PINGS" ] || fail "L2: ${recv:-0} of $PINGS pings of 10.0.2.2 answered"
[ "$in1" -gt "${in0:-0}" ] || fail "the input vector did not count up under traffic ($in0 -> $in1)"
[ "$out1" -gt "${out0:-0}" ] || fail "the output vector did not count up under traffic ($out0 -> $out1)"
[ "${lpis_hw:-0}" -ge 2 ] || fail "fewer than 2 of L2's LPIs hardware-backed in vgic-state (${lpis_hw:-0} of ${lpis_all:-0})"
[ "${n_msix:-0}" -ge 3 ] || fail "nexit's stats: $n_msix active MSI-X vectors of the function (want config + input + output)"
[ "${live:-x}" = 0 ] || fail "nexit exited $live times on the live path of the MSI-X vectors"
[ "$(nested_rc "$log")" = 0 ] || fail "nexit exited $(nested_rc "$log")"
echo "pass: Linux's virtio_net in L2 ran the assigned function on MSI-X: vectors counted up, GICv4 vLPIs, 0 nexit exits"
