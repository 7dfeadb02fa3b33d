#!/bin/bash
# Nested VFIO test (issue 4, item 5): this host has no IOMMU, so boot the L1
# q35 machine with an emulated VT-d (intel-iommu, interrupt remapping) and
# QEMU's edu device, bind edu to vfio-pci in L1, and let a static nexit
# assign it to the probe guest (L2): msi-latency, intx-latency and
# eoi-gating run on the real (emulated) edu through VFIO, under split and
# kernel irqchips. Passes when every PROBE line says "result":"pass" and nexit
# exits 0 each time. A second edu is assigned next to the first for one more
# run: each assigned device's BARs have their own KVM memslots (they used
# to share slot 2 + BAR: KVM refused the second device's BAR0 slot and its
# doorbell exited): msi-latency on the second must see 0 VMM exits per
# interrupt. (TCG emulates neither AVIC nor VT-d posted interrupts:
# L1's KVM injects in software; the wiring - VFIO MSI eventfd == KVM irqfd -
# is what this proves.)
source "$(dirname "$0")/lib.sh"
nested_need_tools

nexit=$(nested_nexit) || fail "make build/nexit-static failed"
make -s probe >/dev/null || fail "make probe failed"
[ -f "$PROBE" ] || fail "no $PROBE"

CHIPS=${NESTED_VFIO_IRQCHIPS:-split kernel}
SCNS=${NESTED_VFIO_SCENARIOS:-"msi-latency n=1000|intx-latency n=200|eoi-gating"}
script=$NESTED_BUILD/vfio-test.sh
mkdir -p "$NESTED_BUILD"
cat > "$script" <<L1
bind=\$(nested-vfio-bind 1234:11e8)
echo "\$bind"
bdf=\$(echo "\$bind" | sed -n 's/.*bdf=\([^ ]*\) group=.*/\1/p')
[ -n "\$bdf" ] || exit 90
bind2=\$(nested-vfio-bind 1234:11e8 2)
echo "\$bind2"
bdf2=\$(echo "\$bind2" | sed -n 's/.*bdf=\([^ ]*\) group=.*/\1/p')
fails=0
for chip in $CHIPS; do
	IFS='|'
	for scn in \$(echo "$SCNS"); do
		unset IFS
		echo "NESTED-T \$chip/\$scn start \$(cut -d' ' -f1 /proc/uptime)"
		/bin/nexit run --irqchip \$chip --assign \$bdf --kernel build/guest/probe.elf \
			--cmdline "scenario=\$scn" --stats-json /tmp/stats.json --timeout 100 \
			>/tmp/l2.out 2>/tmp/l2.err &
		pid=\$!
		# Watchdog: a nexit that does not end is shown (task states and
		# kernel stacks) and killed, so L1 always finishes.
		i=0
		while [ \$i -lt 240 ] && ! grep -q 'State:.*Z' /proc/\$pid/status 2>/dev/null &&
		      [ -d /proc/\$pid ]; do sleep 0.5; i=\$((i + 1)); done
		if [ \$i -ge 240 ]; then
			echo "NESTED-HUNG \$chip \$scn"
			for t in /proc/\$pid/task/*; do
				echo "NESTED-HUNG task \$(cat \$t/comm) \$(grep State \$t/status) wchan=\$(cat \$t/wchan)"
				sed 's/^/NESTED-HUNG   /' \$t/stack 2>/dev/null
			done
			kill -9 \$pid
		fi
		wait \$pid
		rc=\$?
		sed 's/^/L2| /' /tmp/l2.out | grep -a 'PROBE'
		sed 's/^/NEXIT-ERR| /' /tmp/l2.err
		[ -s /tmp/stats.json ] && echo "NEXIT-STATS \$(tr -d '\n ' < /tmp/stats.json | cut -c1-1500)"
		echo "NESTED-SCN \$chip \$scn rc=\$rc"
		[ \$rc = 0 ] || fails=\$((fails + 1))
		rm -f /tmp/stats.json
		IFS='|'
	done
	unset IFS
done
# Two assigned devices: the second one's doorbell must not exit either.
timeout -k 5 120 /bin/nexit run --assign \$bdf --assign \$bdf2 --kernel build/guest/probe.elf \
	--cmdline "scenario=msi-latency n=200 dev=1 max_exits_per_irq=0" --timeout 100 >/tmp/l2.out 2>/tmp/l2.err
rc=\$?
sed 's/^/L2| /' /tmp/l2.out | grep -a 'PROBE'
sed 's/^/NEXIT-ERR| /' /tmp/l2.err
echo "NESTED-SCN pair msi-latency rc=\$rc"
[ \$rc = 0 ] || fails=\$((fails + 1))
exit \$fails
L1

export NESTED_MODULES="kvm-amd vfio-pci vfio_iommu_type1"
export NESTED_APPEND="intel_iommu=on"
export NESTED_MACHINE="q35,kernel-irqchip=split"
NESTED_TEST_TIMEOUT=900
initrd=$NESTED_BUILD/vfio-l1.cpio
log=$NESTED_BUILD/vfio-l1.log
nested_initramfs "$initrd" "$script" "$nexit=/bin/nexit" "$PROBE=$PROBE" ||
	fail "cannot build the L1 initramfs"

nested_boot "$initrd" "$log" 1000 -device intel-iommu,intremap=on -device edu -device edu
qrc=$?
echo "L1 serial log: $log (QEMU status $qrc, ${NESTED_BOOT_MS} ms)"
grep -a -E '^(NESTED-|NEXIT-ERR\||L2\|)' "$log" | tr -d '\r' | cut -c1-400 | tail -n 80

[ $qrc -eq 124 ] && fail "L1 machine timed out"
grep -aq '^NESTED-KVM-OK' "$log" || fail "L1 has no /dev/kvm (kvm-amd did not load)"
grep -aq '^NESTED-VFIO bdf=.* group=' "$log" || fail "edu was not bound to vfio-pci in L1"
rc=$(nested_rc "$log")
[ -n "$rc" ] || fail "L1 never finished its test script"
n=$(grep -ac '^L2| PROBE .*"result":"pass"' "$log")
want=$(( $(echo $CHIPS | wc -w) * $(echo "$SCNS" | tr '|' '\n' | wc -l) + 1 ))
[ "$rc" = 0 ] && [ "$n" = "$want" ] ||
	fail "$n of $want scenarios passed on the VFIO-assigned edu (failed runs: $rc)"
echo "pass: $want probe scenarios on VFIO-assigned edus in L2, the last with two devices (L1 run ${NESTED_BOOT_MS} ms)"
