#!/bin/bash
# Nested arm64 appliance test (issue 7): Debian's arm64 kernel boots as L2
# under the arm64 nexit with 2 vCPUs (device tree, Image boot protocol,
# PSCI CPU_ON and SYSTEM_OFF, arch timer, GICv3 + ITS, the 16550A on MMIO), inside an L1 arm64 machine under
# qemu-system-aarch64 TCG. Passes when NEXIT-APPLIANCE-READY comes out of
# nexit's console and nexit exits 0 (the appliance powers off: PSCI
# SYSTEM_OFF).
source "$(dirname "$0")/lib.sh"
source tests/nested/lib_arm64.sh
nested_a64_need_tools

make --no-print-directory -s ARCH=arm64 build/arm64/nexit >&2 || fail "make ARCH=arm64 failed"
mkdir -p "$NESTED_BUILD"
nested_a64_appliance "$NESTED_BUILD/appliance.cpio.gz" || fail "cannot build the arm64 appliance"

script=$NESTED_BUILD/appliance-test.sh
cat > "$script" <<'L1'
echo "NESTED-T nexit-start $(cut -d' ' -f1 /proc/uptime)"
timeout -k 5 150 /bin/nexit run --timeout 140 --kernel vmlinuz --initrd appliance.cpio.gz --mem 256M --cpus 2 \
	--cmdline "console=ttyS0 earlycon=uart8250,mmio,0x09000000 panic=-1" \
	--stats-json /tmp/stats.json >/tmp/l2.out 2>/tmp/l2.err
rc=$?
echo "NESTED-T nexit-end $(cut -d' ' -f1 /proc/uptime)"
sed 's/^/L2| /' /tmp/l2.out
sed 's/^/NEXIT-ERR| /' /tmp/l2.err
[ -s /tmp/stats.json ] && echo "NEXIT-STATS $(tr -d '\n' < /tmp/stats.json)"
echo "NESTED-NEXIT-RC=$rc"
exit $rc
L1

NESTED_MODULES="vfio"	# KVM is built in; the harness wants at least one module
NESTED_TEST_TIMEOUT=170
initrd=$NESTED_BUILD/appliance-l1.cpio
log=$NESTED_BUILD/appliance-l1.log
nested_a64_initramfs "$initrd" "$script" build/arm64/nexit=/bin/nexit \
	"$NESTED_VMLINUZ=vmlinuz" "$NESTED_BUILD/appliance.cpio.gz=appliance.cpio.gz" ||
	fail "cannot build the L1 initramfs"
nested_a64_boot "$initrd" "$log" 240
qrc=$?
echo "L1 serial log: $log (QEMU status $qrc, ${NESTED_BOOT_MS} ms)"
grep -a -E '^(NESTED-|KVMCHECK|NEXIT-ERR\||L2\|)' "$log" | tr -d '\r' | tail -n 30

[ $qrc -eq 124 ] && fail "L1 machine timed out after 240 s"
grep -aq '^NESTED-KVM-OK' "$log" || fail "L1 has no /dev/kvm"
rc=$(nested_rc "$log")
[ -n "$rc" ] || fail "L1 never finished its test script"
grep -aq '^L2| .*NEXIT-APPLIANCE-READY' "$log" ||
	fail "no NEXIT-APPLIANCE-READY from the L2 appliance (nexit status $rc)"
# Two vCPUs: the second comes up through PSCI CPU_ON (DT enable-method psci).
grep -aq '^L2| .*NEXIT-APPLIANCE-READY .*cpus=2' "$log" ||
	fail "the appliance did not bring up its second vCPU (PSCI CPU_ON)"
[ "$rc" = 0 ] || fail "L2 printed the marker but nexit exited $rc"
echo "pass: arm64 nexit booted Debian's arm64 kernel as L2 and it powered off (L1 run ${NESTED_BOOT_MS} ms)"
