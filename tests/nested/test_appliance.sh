#!/bin/bash
# Nested appliance test (issue 3, item 7): this machine's kvm_pvm cannot run
# an unmodified Linux, so boot an L1 machine under QEMU TCG with SVM+NPT,
# load kvm-amd there, and let a static nexit boot the Linux appliance
# (guest/appliance) as L2 on L1's /dev/kvm. Passes when the L2 marker
# NEXIT-APPLIANCE-READY comes out of nexit's serial console and nexit exits 0
# (the appliance powers off through ACPI S5), under both irqchips, with the
# PCI host bridge found through ACPI (the DSDT's PCI0), the FADT's PM timer
# taken, and no kernel WARNING/BUG/Oops in either log.
source "$(dirname "$0")/lib.sh"
nested_need_tools

nexit=$(nested_nexit) || fail "make build/nexit-static failed"
guest/appliance/build.sh build >/dev/null || fail "appliance build failed"

# Inside L1 (cwd /work, the repository layout): nexit's console is kept in a
# file and echoed with an "L2| " prefix, its stderr with "NEXIT-ERR| ", so
# the marker can only match what the L2 guest printed.
script=$NESTED_BUILD/appliance-test.sh
mkdir -p "$NESTED_BUILD"
cat > "$script" <<'L1'
fails=0
for chip in split kernel; do
	echo "NESTED-T nexit-start-$chip $(cut -d' ' -f1 /proc/uptime)"
	timeout -k 5 150 /bin/nexit run --config guest/appliance/appliance.ini --irqchip $chip --timeout 140 \
		--stats-json /tmp/stats.json >/tmp/l2.out 2>/tmp/l2.err
	rc=$?
	echo "NESTED-T nexit-end-$chip $(cut -d' ' -f1 /proc/uptime)"
	echo "NESTED-CHIP $chip"
	sed 's/^/L2| /' /tmp/l2.out
	sed 's/^/NEXIT-ERR| /' /tmp/l2.err
	[ -s /tmp/stats.json ] && echo "NEXIT-STATS $(tr -d '\n' < /tmp/stats.json)"
	echo "NESTED-NEXIT-RC $chip $rc"
	[ $rc = 0 ] || fails=$((fails + 1))
	rm -f /tmp/stats.json
done
exit $fails
L1

NESTED_TEST_TIMEOUT=330
NESTED_MODULES="kvm-amd tun vhost_net"	# the appliance's eth0: a tap with vhost-net
initrd=$NESTED_BUILD/appliance-l1.cpio
log=$NESTED_BUILD/appliance-l1.log
nested_initramfs "$initrd" "$script" \
	"$nexit=/bin/nexit" \
	build/appliance/vmlinuz=build/appliance/vmlinuz \
	build/appliance/initramfs.cpio=build/appliance/initramfs.cpio \
	build/appliance/root.img=build/appliance/root.img \
	guest/appliance/appliance.ini=guest/appliance/appliance.ini ||
	fail "cannot build the L1 initramfs"

nested_boot "$initrd" "$log" 400
qrc=$?
echo "L1 serial log: $log (QEMU status $qrc, ${NESTED_BOOT_MS} ms)"
grep -a -E '^(NESTED-|KVMCHECK|NEXIT-ERR\||L2\| (NEXIT|.*PCI|.*PM-Timer))' "$log" | tr -d '\r' | tail -n 60

[ $qrc -eq 124 ] && fail "L1 machine timed out after 400 s"
[ $qrc -eq 125 ] && fail "L1 stalled before its test started, on both boots"
grep -aq '^NESTED-KVM-OK' "$log" || fail "L1 has no /dev/kvm (kvm-amd did not load)"
rc=$(nested_rc "$log")
[ -n "$rc" ] || fail "L1 never finished its test script"
nested_kernel_clean "$log"
for chip in split kernel; do
	# This chip's part of the log: from its NESTED-CHIP line to its exit status.
	part=$(sed -n "/^NESTED-CHIP $chip/,/^NESTED-NEXIT-RC $chip/p" "$log" | tr -d '\r')
	echo "$part" | grep -q '^L2| NEXIT-APPLIANCE-READY' ||
		fail "$chip: no NEXIT-APPLIANCE-READY from the L2 appliance"
	echo "$part" | grep -q "^NESTED-NEXIT-RC $chip 0\$" ||
		fail "$chip: L2 printed the marker but nexit did not exit 0"
	# The PCI host bridge comes from the DSDT (ACPI, not pci=noacpi probing),
	# and Linux lists the bridge function itself.
	echo "$part" | grep -q 'ACPI: PCI Root Bridge \[PCI0\] (domain 0000 \[bus 00\])' ||
		fail "$chip: Linux found no ACPI PCI root bridge PCI0"
	echo "$part" | grep -q 'PCI host bridge to bus 0000:00' ||
		fail "$chip: no 'PCI host bridge to bus 0000:00'"
	echo "$part" | grep -q '^L2| NEXIT-PCI 0000:00:00.0 8086:29c0 class=060000' ||
		fail "$chip: the appliance did not list the host bridge 00:00.0"
	# The FADT's PM timer, found and read by Linux.
	echo "$part" | grep -q 'ACPI: PM-Timer IO Port: 0x608' ||
		fail "$chip: Linux did not take the FADT's PM timer at 0x608"
	echo "$part" | grep -q 'clocksource: acpi_pm: mask: 0xffffff ' ||
		fail "$chip: Linux did not register the PM timer as a clocksource (rate check failed?)"
done
echo "pass: nexit booted the Linux appliance as L2 under split and kernel irqchips, ACPI host bridge, clean kernel log (L1 run ${NESTED_BOOT_MS} ms)"
