#!/bin/bash
# Nested interrupt-rule test (issue 4): every probe interrupt scenario of
# tests/probe_cases.sh on nexit's irqdev, under irqchip=split and =kernel,
# inside the L1 KVM-SVM machine. This host's kvm_pvm auto-EOIs every
# interrupt, so EOI gating cannot be observed here (probe_irq.sh excuses those
# checks); L1's KVM has a LAPIC that keeps an interrupt in service until the
# guest's EOI, so here nothing is excused: eoi-gating, shutdown-mask and
# mask-until-ready must pass as the rules say.
source "$(dirname "$0")/lib.sh"
PROBE_STORM_BUDGET=${PROBE_STORM_BUDGET:-20}
source tests/probe_cases.sh
nested_need_tools

nexit=$(nested_nexit) || fail "make build/nexit-static failed"
make -s build/nexit-devd-static probe >/dev/null || fail "make nexit-devd-static probe failed"

CHIPS=${NESTED_IRQ_IRQCHIPS:-split kernel}
# TCG runs L2 interrupts ~100x slower than hardware: fewer samples.
PROBE_N_MSI=${PROBE_N_MSI:-500} PROBE_N_INTX=${PROBE_N_INTX:-200} probe_cases
script=$NESTED_BUILD/probe-irq-test.sh
mkdir -p "$NESTED_BUILD"
{
	echo "fails=0"
	for chip in $CHIPS; do
		i=0
		for c in "${PROBE_CASES[@]}"; do
			cmd=${c%%|*}
			cat <<L1
timeout -k 10 120 /bin/nexit run --irqchip $chip --cpus 2 --kernel build/guest/probe.elf \\
	--device $PROBE_DEV_A --device $PROBE_DEV_B --cmdline "$cmd" >/tmp/l2.out 2>/tmp/l2.err
rc=\$?
grep -a '^PROBE ' /tmp/l2.out | sed 's/^/L2| /'
sed 's/^/NEXIT-ERR| /' /tmp/l2.err | head -n 5
echo "NESTED-CASE $chip $i rc=\$rc"
[ \$rc = 0 ] || fails=\$((fails + 1))
L1
			i=$((i + 1))
		done
	done
	echo 'exit $fails'
} > "$script"

NESTED_TEST_TIMEOUT=600
initrd=$NESTED_BUILD/probe-irq-l1.cpio
log=$NESTED_BUILD/probe-irq-l1.log
nested_initramfs "$initrd" "$script" "$nexit=/bin/nexit" \
	"build/nexit-devd-static=/bin/nexit-devd" "$PROBE=$PROBE" ||
	fail "cannot build the L1 initramfs"
# A whole run takes ~30 s. Seen twice in ~15 runs: the TCG L1 machine stops
# making progress (its own per-case `timeout 120` never fires, QEMU spins):
# that L1 is given up after 300 s and booted once more, and the log says so.
nested_boot "$initrd" "$log" 300
qrc=$?
if [ $qrc -eq 124 ]; then
	echo "L1 machine stopped making progress (last: $(grep -a '^NESTED-CASE' "$log" | tail -n1)); booting it once more"
	cp "$log" "$log.hung"
	nested_boot "$initrd" "$log" 300
	qrc=$?
fi
echo "L1 serial log: $log (QEMU status $qrc, ${NESTED_BOOT_MS} ms)"
# Two stalls of the TCG machine itself are no verdict on nexit: say so and skip.
[ $qrc -eq 124 ] && skip "the TCG L1 machine stalled twice (logs: $log.hung, $log)"
grep -aq '^NESTED-KVM-OK' "$log" || fail "L1 has no /dev/kvm (kvm-amd did not load)"

# Judge each case from L0, with nothing excused.
bad=0
for chip in $CHIPS; do
	i=0
	for c in "${PROBE_CASES[@]}"; do
		IFS='|' read -r cmd check gated <<<"$c"
		line=$(grep -a -n "^NESTED-CASE $chip $i " "$log" | head -n1)
		rc=$(sed -n 's/.*rc=\([0-9]*\).*/\1/p' <<<"$line")
		# The PROBE line printed just before this case's marker.
		json=$(head -n "${line%%:*}" "$log" | grep -a '^L2| PROBE ' | tail -n1 | tr -d '\r' | sed 's/^L2| PROBE //')
		[ -n "$line" ] || { rc=255; json=""; }
		v=$(probe_verdict "$json" "${rc:-255}" "$check" "$gated" 0)
		echo "[$chip] $cmd -> $v"
		echo "    $json" | cut -c1-300
		[ "$v" = ok ] || bad=1
		i=$((i + 1))
	done
done
grep -a '^NEXIT-ERR|' "$log" | grep -v 'irqdev cli' | head -n 10
[ $bad -eq 0 ] || fail "interrupt scenarios failed in the nested machine"
echo "pass: all interrupt scenarios, EOI-gated ones included, under $CHIPS in L2 (L1 run ${NESTED_BOOT_MS} ms)"
