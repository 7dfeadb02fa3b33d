#!/bin/bash
# Nested appliance test (issue 3, item 7): this machine's kvm_pvm cannot run
# an unmodified Linux, so boot an L1 machine under QEMU TCG with SVM+NPT,
# load kvm-amd there, and let a static nexit boot the Linux appliance
# (guest/appliance) as L2 on L1's /dev/kvm. Passes when the L2 marker
# NEXIT-APPLIANCE-READY comes out of nexit's serial console and nexit exits 0
# (the appliance powers off through ACPI S5).
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
echo "NESTED-T nexit-start $(cut -d' ' -f1 /proc/uptime)"
timeout 150 /bin/nexit run --config guest/appliance/appliance.ini \
	--stats-json /tmp/stats.json >/tmp/l2.out 2>/tmp/l2.err
rc=$?
echo "NESTED-T nexit-end $(cut -d' ' -f1 /proc/uptime)"
sed 's/^/L2| /' /tmp/l2.out
sed 's/^/NEXIT-ERR| /' /tmp/l2.err
[ -s /tmp/stats.json ] && echo "NEXIT-STATS $(tr -d '\n' < /tmp/stats.json)"
echo "NESTED-NEXIT-RC=$rc"
exit $rc
L1

NESTED_TEST_TIMEOUT=170
initrd=$NESTED_BUILD/appliance-l1.cpio
log=$NESTED_BUILD/appliance-l1.log
nested_initramfs "$initrd" "$script" \
	"$nexit=/bin/nexit" \
	build/appliance/vmlinuz=build/appliance/vmlinuz \
	build/appliance/initramfs.cpio.gz=build/appliance/initramfs.cpio.gz \
	guest/appliance/appliance.ini=guest/appliance/appliance.ini ||
	fail "cannot build the L1 initramfs"

nested_boot "$initrd" "$log" 240
qrc=$?
echo "L1 serial log: $log (QEMU status $qrc, ${NESTED_BOOT_MS} ms)"
grep -a -E '^(NESTED-|KVMCHECK|NEXIT-ERR\||L2\|)' "$log" | tr -d '\r' | tail -n 60

[ $qrc -eq 124 ] && fail "L1 machine timed out after 240 s"
grep -aq '^NESTED-KVM-OK' "$log" || fail "L1 has no /dev/kvm (kvm-amd did not load)"
rc=$(nested_rc "$log")
[ -n "$rc" ] || fail "L1 never finished its test script"
grep -aq '^L2| .*NEXIT-APPLIANCE-READY' "$log" ||
	fail "no NEXIT-APPLIANCE-READY from the L2 appliance (nexit status $rc)"
[ "$rc" = 0 ] || fail "L2 printed the marker but nexit exited $rc"
echo "pass: nexit booted the Linux appliance as L2 (L1 run ${NESTED_BOOT_MS} ms)"
