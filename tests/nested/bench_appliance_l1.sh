#!/bin/bash
# bench_appliance_l1.sh [OUT] [BENCH ARGS...] - `nexit bench --only boot` inside
# the nested x86 machine (L1 with KVM-SVM), where the Linux appliance boots:
# this host's kvm_pvm cannot run Linux (docs/machine.md). L1's initramfs gets
# a static nexit, this host's QEMU with its libraries and firmware, the
# appliance (make appliance) and the probe; the bench's results.json and
# report.md come back over L1's console into OUT (default
# bench/results/appliance-l1). Not a test (make test does not run it): a
# timing run, so it holds the CPU lock: flock /tmp/nexit-cpu.lock.
#   tests/nested/bench_appliance_l1.sh build/bench-l1 --quick
source "$(dirname "$0")/lib.sh"
nested_need_tools
out=${1:-bench/results/appliance-l1}; shift || true
args=("$@")

nexit=$(nested_nexit) || fail "make build/nexit-static failed"
make -s build/nexit build/nexit-devd-static probe >/dev/null && guest/appliance/build.sh build >/dev/null ||
	fail "appliance build failed"

# QEMU as this host has it: the binary, every library ldd names (with the
# loader), its firmware (SeaBIOS, qboot, pvh.bin, linuxboot) under the same
# paths, so the same command line works in L1.
extra=()
qemu=$(command -v qemu-system-x86_64)
for f in "$qemu" $(ldd "$qemu" | awk '/=> \// { print $3 } /^\t\/lib/ { print $1 }'); do
	extra+=("$f=$f")
done
for f in /usr/share/qemu/*.bin /usr/share/qemu/*.rom /usr/share/seabios/*; do
	[ -f "$f" ] && extra+=("$f=$f")
done
mkdir -p "$NESTED_BUILD"
script=$NESTED_BUILD/bench-appliance.sh
cat > "$script" <<L1
mkdir -p /work/build/guest /tmp/bench
cp /bin/nexit /work/build/nexit
echo "NESTED-T bench-start \$(cut -d' ' -f1 /proc/uptime)"
/work/build/nexit bench --only boot --out /tmp/bench --nexit /work/build/nexit \
	--probe /work/build/guest/probe.elf --qemu $qemu ${args[*]} 2>&1 | sed 's/^/BENCH| /'
echo "NESTED-T bench-end \$(cut -d' ' -f1 /proc/uptime)"
for f in results.json report.md; do
	echo "BENCH-FILE-BEGIN \$f"; cat /tmp/bench/\$f; echo; echo "BENCH-FILE-END \$f"
done
L1

NESTED_TEST_TIMEOUT=1700
NESTED_MEM=2048
initrd=$NESTED_BUILD/bench-appliance-l1.cpio
log=$NESTED_BUILD/bench-appliance-l1.log
nested_initramfs "$initrd" "$script" "$nexit=/bin/nexit" build/nexit-devd-static=build/nexit-devd \
	build/appliance/vmlinuz=build/appliance/vmlinuz \
	build/appliance/vmlinux=build/appliance/vmlinux \
	build/appliance/initramfs.cpio=build/appliance/initramfs.cpio \
	build/appliance/root.img=build/appliance/root.img \
	build/guest/probe.elf=build/guest/probe.elf "${extra[@]}" ||
	fail "cannot build the L1 initramfs"
nested_boot "$initrd" "$log" 1800
qrc=$?
grep -a '^BENCH| \|^NESTED-T' "$log" | tr -d '\r' | tail -n 40
[ $qrc = 124 ] && fail "L1 timed out"
mkdir -p "$out"
for f in results.json report.md; do
	sed -n "/^BENCH-FILE-BEGIN $f/,/^BENCH-FILE-END $f/p" "$log" | tr -d '\r' | sed '1d;$d' > "$out/$f"
done
[ -s "$out/results.json" ] || fail "no results.json from L1 (log: $log)"
echo "bench in L1: $out/results.json, $out/report.md (L1 run ${NESTED_BOOT_MS} ms)"
