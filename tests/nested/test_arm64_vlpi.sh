#!/bin/bash
# Nested arm64 test (issue 7): GICv4 direct vLPI injection of a VFIO-
# assigned device's MSIs, shown live. L1 is Debian's arm64 kernel under
# qemu-system-aarch64 TCG (virt, EL2, GICv4, SMMUv3, edu); nexit (static,
# arm64) assigns the edu to the arm64 probe guest (L2) and the probe
# measures MSI -> LPI delivery from inside. Two L1 boots:
#   v4on   kvm-arm.vgic_v4_enable=1: msi-latency (expect the LPI forwarded
#          as a vLPI: vgic-state HW bit, 0 VMM exits per interrupt), plus
#          the INTx fallback (intx-latency gated by nexit and with
#          intx=kernel, eoi-gating, mask-until-ready, storm, shutdown-mask),
#          priority (LPI vs
#          the UART's SPI, PMR), affinity (MOVI to vCPU 1 and back) and the
#          bad-input errors (wrong BDF, device not bound to vfio-pci);
#   v4off  kvm-arm.vgic_v4_enable=0: msi-latency with software injection
#          (irqfd -> vITS), still no VMM exits, the LPI not hardware-backed;
#          affinity.
#   noiommu  the same machine without an IOMMU: --assign gives one clear
#          "no IOMMU" error.
# The report puts the three paths side by side.
source "$(dirname "$0")/lib.sh"
source tests/nested/lib_arm64.sh
nested_a64_need_tools

make --no-print-directory -s ARCH=arm64 build/arm64/nexit build/arm64/guest/probe.elf >&2 ||
	fail "make ARCH=arm64 failed"
NESTED_MODULES="vfio-pci vfio_iommu_type1 vfio_virqfd"
NESTED_TEST_TIMEOUT=260
N_MSI=${N_MSI:-200}
N_INTX=${N_INTX:-50}

# The L1 script (busybox sh, cwd /work). Every line the host parses has a
# prefix: L2[case]| (the probe's console), NEXIT-ERR[case]| (nexit's
# stderr), VGIC[case]| (debugfs kvm/*/vgic-state while the case ran),
# NEXIT-RC[case]=N.
make_script() {	# OUT MODE
	cat > "$1" <<L1
MODE=$2
N_MSI=$N_MSI
N_INTX=$N_INTX
L1
	cat >> "$1" <<'L1'
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
dmesg | grep -aiE "GICv4|vgic|Hyp mode|smmu.*(ias|oas|probe)" | sed 's/^/L1-DMESG| /'
P=build/arm64/guest/probe.elf
run() {	# NAME ARGS...
	name=$1; shift
	/bin/nexit run --kernel $P --mem 64M --timeout 90 --stats-json /tmp/$name.json \
		--control /tmp/$name.sock "$@" >/tmp/$name.out 2>/tmp/$name.err &
	pid=$!
	while kill -0 $pid 2>/dev/null; do
		# Live counters while it runs (nexit stat), once.
		[ -s /tmp/$name.live ] || { [ -S /tmp/$name.sock ] &&
			/bin/nexit stat /tmp/$name.sock > /tmp/$name.live 2>/dev/null; }
		for f in /sys/kernel/debug/kvm/*/vgic-state; do
			[ -r "$f" ] || continue
			cat "$f" > /tmp/$name.v 2>/dev/null || continue
			cp /tmp/$name.v /tmp/$name.vgic
			grep ' LPI ' /tmp/$name.v >> /tmp/$name.lpis
		done
		sleep 0.2
	done
	wait $pid
	rc=$?
	sed "s/^/L2[$name]| /" /tmp/$name.out
	sed "s/^/NEXIT-ERR[$name]| /" /tmp/$name.err
	# Each LPI state seen while the VM ran, with how many snapshots saw it
	# (at teardown KVM unmaps the vLPI before the debugfs file goes away).
	[ -s /tmp/$name.vgic ] && grep -E 'TYPE|SPI +3[2-9] ' /tmp/$name.vgic | sed "s/^/VGIC[$name]| /"
	[ -s /tmp/$name.lpis ] && sort /tmp/$name.lpis | uniq -c | sed "s/^/VGIC-LPI[$name]| /"
	[ -s /tmp/$name.json ] && echo "NEXIT-STATS[$name] $(tr -d '\n' < /tmp/$name.json)"
	[ -s /tmp/$name.live ] && echo "NEXIT-LIVE[$name] $(tr -d '\n' < /tmp/$name.live)"
	echo "NEXIT-RC[$name]=$rc"
}
# The edu's BDF before it is bound: the "not bound to vfio-pci" case.
edu=""
for d in /sys/bus/pci/devices/*; do
	[ "$(cat $d/vendor)" = 0x1234 ] && [ "$(cat $d/device)" = 0x11e8 ] && edu=$(basename $d)
done
echo "L1-EDU $edu"
if [ "$MODE" = noiommu ]; then	# a machine without an IOMMU: one clear error
	run noiommu --cmdline "scenario=hello" --assign "$edu"
	exit 0
fi
run hello --cmdline "scenario=hello"
if [ "$MODE" = v4on ]; then
	run badbdf --cmdline "scenario=hello" --assign 0000:00:1f.7
	run notbound --cmdline "scenario=hello" --assign "$edu"
fi
# Bind edu to vfio-pci (driver_override + drivers_probe). On arm64 the
# SMMUv3 gives a PCI device its IOMMU group when a driver probes it (DMA
# configure), so the group is checked after binding, not before.
echo vfio-pci > /sys/bus/pci/devices/$edu/driver_override
echo $edu > /sys/bus/pci/drivers_probe
drv=$(basename "$(readlink /sys/bus/pci/devices/$edu/driver)" 2>/dev/null)
grp=$(basename "$(readlink /sys/bus/pci/devices/$edu/iommu_group)" 2>/dev/null)
echo "L1-VFIO bdf=$edu driver=$drv group=$grp"
[ "$drv" = vfio-pci ] && [ -n "$grp" ] || exit 1
run msi --assign "$edu" --cmdline "scenario=msi-latency n=$N_MSI hold_ms=1500"
if [ "$MODE" = v4on ]; then
	run intx --assign "$edu" --cmdline "scenario=intx-latency n=$N_INTX"
	run eoigate --assign "$edu" --cmdline "scenario=eoi-gating"
	run prio --assign "$edu" --cmdline "scenario=priority"
	run mask --assign "$edu" --cmdline "scenario=mask-until-ready"
	run shutdown --assign "$edu" --cmdline "scenario=shutdown-mask"
	printf '[device "edu"]\nassign = %s\nstorm_budget = 5\nstorm_window_ms = 100\nstorm_backoff_ms = 200\n' \
		"$edu" > /tmp/storm.ini
	run storm --config /tmp/storm.ini --cmdline "scenario=storm n=20"
	printf '[device "edu"]\nassign = %s\nintx = kernel\n' "$edu" > /tmp/kernel.ini
	run intxk --config /tmp/kernel.ini --cmdline "scenario=intx-latency n=$N_INTX"
fi
run affinity --assign "$edu" --cpus 2 --cmdline "scenario=affinity"
exit 0
L1
}

probe_of() {	# LOG CASE: JSON of the case's PROBE line
	grep -a "^L2\[$2\]| PROBE " "$1" | tr -d '\r' | tail -n1 | sed 's/^[^{]*//'
}
jnum() {	# JSON KEY
	echo "$1" | sed -n "s/.*\"$2\":\([0-9.]*\).*/\1/p"
}
# The HW bit of LPI 8192 in vgic-state (columns P L A E H C G, kernel
# arch/arm64/kvm/vgic/vgic-debug.c): 1 = backed by a host (v)LPI.
lpi_hw() {	# LOG CASE
	grep -a "^VGIC-LPI\[$2\]|" "$1" | tr -d '\r' |
		awk '$3=="LPI" && $4==8192 { if (substr($6,5,1)=="1") hw=1; else if (hw=="") hw=0 }
		     END { print hw }'
}

declare -A LOGS
for mode in v4on v4off noiommu; do
	script=$NESTED_BUILD/arm64-$mode.sh
	mkdir -p "$NESTED_BUILD"
	make_script "$script" $mode
	initrd=$NESTED_BUILD/arm64-$mode.cpio
	log=$NESTED_BUILD/arm64-$mode.log
	LOGS[$mode]=$log
	nested_a64_initramfs "$initrd" "$script" \
		build/arm64/nexit=/bin/nexit \
		build/arm64/guest/probe.elf=build/arm64/guest/probe.elf ||
		fail "cannot build the arm64 L1 initramfs"
	v4=1; [ $mode = v4off ] && v4=0
	iommu=smmuv3; [ $mode = noiommu ] && iommu=
	NESTED_A64_IOMMU=$iommu NESTED_A64_APPEND="kvm-arm.vgic_v4_enable=$v4" \
		nested_a64_boot "$initrd" "$log" 290 -device edu
	qrc=$?
	echo "== $mode: L1 serial log $log (QEMU status $qrc, ${NESTED_BOOT_MS} ms)"
	grep -a -E '^(NESTED-|KVMCHECK|L1-|NEXIT-ERR|NEXIT-RC|L2\[|VGIC-LPI\[)' "$log" | tr -d '\r' | tail -n 80
	[ $qrc -eq 124 ] && fail "$mode: L1 machine timed out"
	grep -aq '^NESTED-KVM-OK' "$log" || fail "$mode: L1 has no /dev/kvm"
	[ "$(nested_rc "$log")" = 0 ] || fail "$mode: the L1 script failed (status $(nested_rc "$log"))"
done

on=${LOGS[v4on]} off=${LOGS[v4off]}
grep -aq 'GICv4 support enabled' "$on" || echo "note: L1 did not print 'GICv4 support enabled'"
# Bad input: exactly one nexit: error line each.
for c in badbdf notbound; do
	n=$(grep -a "^NEXIT-ERR\[$c\]| nexit: error:" "$on" | wc -l)
	[ "$n" = 1 ] || fail "$c: expected one 'nexit: error:' line, got $n"
	grep -a "^NEXIT-ERR\[$c\]| nexit: error:" "$on" | tr -d '\r'
done
grep -aq '^NEXIT-ERR\[badbdf\]| nexit: error: assign 0000:00:1f.7: no such PCI device' "$on" ||
	fail "wrong BDF: not the expected error"
grep -aq '^NEXIT-ERR\[notbound\]| nexit: error: .*not bound to vfio-pci' "$on" ||
	fail "unbound device: not the expected error"
noi=${LOGS[noiommu]}
n=$(grep -a "^NEXIT-ERR\[noiommu\]| nexit: error:" "$noi" | wc -l)
[ "$n" = 1 ] || fail "noiommu: expected one 'nexit: error:' line, got $n"
grep -a "^NEXIT-ERR\[noiommu\]| nexit: error:" "$noi" | tr -d '\r'
grep -aq '^NEXIT-ERR\[noiommu\]| nexit: error: .*no IOMMU' "$noi" ||
	fail "missing IOMMU: not the expected error"

res() { echo "$1" | sed -n 's/.*"result":"\([a-z]*\)".*/\1/p'; }
m_on=$(probe_of "$on" msi) m_off=$(probe_of "$off" msi)
i_on=$(probe_of "$on" intx) e_on=$(probe_of "$on" eoigate)
hw_on=$(lpi_hw "$on" msi) hw_off=$(lpi_hw "$off" msi)

k_on=$(probe_of "$on" intxk)
printf '\n%-28s %-14s %-14s %-14s %-14s\n' "" "MSI GICv4 on" "MSI GICv4 off" "INTx gated" "INTx kernel"
printf '%-28s %-14s %-14s %-14s %-14s\n' "result" "$(res "$m_on")" "$(res "$m_off")" "$(res "$i_on")" "$(res "$k_on")"
printf '%-28s %-14s %-14s %-14s %-14s\n' "LPI 8192 hardware-backed" "${hw_on:-?}" "${hw_off:-?}" "n/a (SPI)" "n/a (SPI)"
for k in delivered p50_ns p99_ns vmm_exits_per_irq kvm_exits_per_irq fallback_delivered; do
	printf '%-28s %-14s %-14s %-14s %-14s\n' "$k" "$(jnum "$m_on" $k)" "$(jnum "$m_off" $k)" \
		"$(jnum "$i_on" $k)" "$(jnum "$k_on" $k)"
done
echo "eoi-gating: $e_on"
a_on=$(probe_of "$on" affinity) a_off=$(probe_of "$off" affinity) p_on=$(probe_of "$on" prio)
echo "affinity (GICv4 on):  $a_on"
echo "affinity (GICv4 off): $a_off"
echo "priority: $p_on"

[ "$(res "$m_on")" = pass ] || fail "msi-latency (GICv4 on) did not pass"
[ "$(res "$m_off")" = pass ] || fail "msi-latency (GICv4 off) did not pass"
[ "$(jnum "$m_on" vmm_exits_per_irq)" = 0 ] || fail "GICv4 on: VMM exits per interrupt not 0"
[ "$(jnum "$m_off" vmm_exits_per_irq)" = 0 ] || fail "GICv4 off: VMM exits per interrupt not 0"
[ "$hw_on" = 1 ] || fail "GICv4 on: LPI 8192 is not hardware-backed in vgic-state (no vLPI)"
[ "$hw_off" = 0 ] || fail "GICv4 off: LPI 8192 unexpectedly hardware-backed"
[ "$(res "$i_on")" = pass ] || fail "intx-latency (fallback) did not pass"
[ "$(res "$e_on")" = pass ] || fail "eoi-gating (fallback) did not pass"
[ "$(res "$a_on")" = pass ] || fail "affinity (GICv4 on) did not pass"
[ "$(res "$a_off")" = pass ] || fail "affinity (GICv4 off) did not pass"
[ "$(res "$p_on")" = pass ] || fail "priority did not pass"
[ "$(res "$k_on")" = pass ] || fail "intx-latency (intx=kernel) did not pass"
mu=$(probe_of "$on" mask) st=$(probe_of "$on" storm) sd=$(probe_of "$on" shutdown)
echo "mask-until-ready: $mu"
echo "storm: $st"
echo "shutdown-mask: $sd"
stats_of() { grep -a "^NEXIT-STATS\[$2\] " "$1" | tr -d '\r' | tail -n1; }
echo "storm line stats: $(stats_of "$on" storm | grep -o '"lines":\[[^]]*' | head -c 400)"
[ "$(res "$mu")" = pass ] || fail "mask-until-ready did not pass"
[ "$(res "$st")" = pass ] || fail "storm: the other line was not served"
stats_of "$on" storm | grep -q '"storms":[1-9]' || fail "storm: nexit reported no storm on the edu's line"
grep -a "^NEXIT-LIVE\[storm\] " "$on" | grep -q '"lines"' ||
	fail "nexit stat: no live interrupt-line counters while the storm case ran"
[ "$(res "$sd")" = pass ] || fail "shutdown-mask did not pass"
stats_of "$on" shutdown | grep -q '"host_masked":true' ||
	fail "shutdown-mask: the line is not masked at the host after power-off"
[ "$(jnum "$i_on" fallback_delivered)" -ge "$N_INTX" ] ||
	fail "intx-latency (gated): nexit's fallback did not count the deliveries"
echo "pass: MSIs of the assigned edu arrive as GICv4 vLPIs with 0 VMM exits; software injection and the INTx fallback pass"
