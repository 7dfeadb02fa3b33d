#!/bin/bash
# The production appliance in the nested x86 machine (L1 with KVM-SVM; this
# host cannot boot Linux): its root file system on nexit's virtio-blk, eth0 on
# virtio-net over a tap with the kernel's vhost-net, and its lifecycle.
#  boot 1 (nexit.run=once): the ready line names the root device and file
#    system (/dev/vda, ext4), eth0 is up and pings 10.0.2.1 on L1's side of
#    the tap; the appliance counts the boot on its disk (boot=1);
#  boot 2 (nexit.run=serve, --control): boot=2 (the file written by boot 1 is
#    still there); nexit's live stats show disk requests and packets with 0
#    data-path exits; then `kill -TERM` of nexit: the guest logs its own
#    shutdown (power button) and nexit exits 0 within 10 s.
# One L1 boot runs it all; the L2 console is echoed with "L2-<boot>| ".
source "$(dirname "$0")/lib.sh"
nested_need_tools

nexit=$(nested_nexit) || fail "make build/nexit-static failed"
make -s build/nexit >/dev/null && guest/appliance/build.sh build >/dev/null ||
	fail "appliance build failed"
# A fresh root disk: boot 1 must be the disk's first boot.
build/nexit image --config guest/appliance/appliance.ini --force >/dev/null 2>&1 ||
	fail "nexit image failed"

script=$NESTED_BUILD/appliance-io-test.sh
mkdir -p "$NESTED_BUILD"
cat > "$script" <<'L1'
up() { cut -d' ' -f1 /proc/uptime; }
# L1's side of the tap nexit creates: 10.0.2.1/24 once it exists.
tap_up() {
	for i in $(seq 300); do [ -e /sys/class/net/nexit0 ] && break; sleep 0.1; done
	ip addr add 10.0.2.1/24 dev nexit0 && ip link set nexit0 up && echo "NESTED-TAP up $(up)"
}
show() {	# boot
	sed "s/^/L2-$1| /" /tmp/l2-$1.out
	sed "s/^/NEXIT-ERR-$1| /" /tmp/l2-$1.err
	[ -s /tmp/stats-$1.json ] && echo "NEXIT-STATS-$1 $(tr -d '\n' < /tmp/stats-$1.json)"
}
# The appliance's command line, pinging L1's side of the tap.
cmd="$(sed -n 's/^cmdline = //p' guest/appliance/appliance.ini) nexit.ping=10.0.2.1"

echo "NESTED-T boot1-start $(up)"
timeout -k 5 200 /bin/nexit run --config guest/appliance/appliance.ini --cmdline "$cmd" --timeout 190 \
	--stats-json /tmp/stats-1.json >/tmp/l2-1.out 2>/tmp/l2-1.err &
pid=$!
tap_up
wait $pid
rc=$?
echo "NESTED-T boot1-end $(up)"
show 1
echo "NESTED-NEXIT-RC 1 $rc"

echo "NESTED-T boot2-start $(up)"
timeout -k 5 200 /bin/nexit run --config guest/appliance/appliance.ini --control /tmp/ctl.sock --timeout 190 \
	--cmdline "$(echo "$cmd" | sed 's/nexit.run=once/nexit.run=serve/')" \
	--stats-json /tmp/stats-2.json >/tmp/l2-2.out 2>/tmp/l2-2.err &
pid=$!
tap_up
for i in $(seq 1500); do grep -q NEXIT-APPLIANCE-SERVING /tmp/l2-2.out && break; sleep 0.1; done
echo "NESTED-T boot2-serving $(up)"
echo "NESTED-LIVE $(/bin/nexit stat /tmp/ctl.sock | tr -d '\n')"
t0=$(up)
kill -TERM $pid
wait $pid
rc=$?
t1=$(up)
echo "NESTED-TERM seconds=$(echo "$t0 $t1" | awk '{ printf "%.2f", $2 - $1 }') rc=$rc"
show 2
echo "NESTED-NEXIT-RC 2 $rc"
L1

NESTED_TEST_TIMEOUT=460
NESTED_MODULES="kvm-amd tun vhost_net"
initrd=$NESTED_BUILD/appliance-io-l1.cpio
log=$NESTED_BUILD/appliance-io-l1.log
nested_initramfs "$initrd" "$script" \
	"$nexit=/bin/nexit" \
	build/appliance/vmlinuz=build/appliance/vmlinuz \
	build/appliance/initramfs.cpio=build/appliance/initramfs.cpio \
	build/appliance/root.img=build/appliance/root.img \
	guest/appliance/appliance.ini=guest/appliance/appliance.ini ||
	fail "cannot build the L1 initramfs"

nested_boot "$initrd" "$log" 520
qrc=$?
echo "L1 serial log: $log (QEMU status $qrc, ${NESTED_BOOT_MS} ms)"
grep -a -E '^(NESTED-|KVMCHECK|NEXIT-ERR|L2-[12]\| (NEXIT|appliance|reboot))' "$log" | tr -d '\r' |
	cut -c1-400 | tail -n 60

[ $qrc -eq 124 ] && fail "L1 machine timed out after 520 s"
grep -aq '^NESTED-KVM-OK' "$log" || fail "L1 has no /dev/kvm (kvm-amd did not load)"
grep -aq '^NESTED-INSMOD-FAIL' "$log" && fail "a module did not load in L1: $(grep -a INSMOD-FAIL "$log")"
[ -n "$(nested_rc "$log")" ] || fail "L1 never finished its test script"
nested_kernel_clean "$log"
L=$(tr -d '\r' < "$log")

# Boot 1: root on virtio-blk, eth0 over vhost-net, the ping, the first boot.
r1=$(grep '^L2-1| NEXIT-APPLIANCE-READY' <<<"$L") || fail "boot 1: no ready line"
echo "$r1"
grep -q ' root=/dev/vda fs=ext4 ' <<<"$r1" || fail "boot 1: root is not /dev/vda ext4: $r1"
grep -q ' boot=1 ' <<<"$r1" || fail "boot 1: not the disk's first boot: $r1"
grep -q ' eth0=10.0.2.15/24 ping=ok' <<<"$r1" || fail "boot 1: eth0 or ping failed: $r1"
grep -q '^NESTED-NEXIT-RC 1 0$' <<<"$L" || fail "boot 1: nexit did not exit 0"
grep -q '^NEXIT-ERR-1| .*virtio-net eth0: .*vhost-net backend nexit0' <<<"$L" ||
	fail "boot 1: eth0 is not on vhost-net"

# Boot 2: the file boot 1 wrote is still there.
r2=$(grep '^L2-2| NEXIT-APPLIANCE-READY' <<<"$L") || fail "boot 2: no ready line"
grep -q ' boot=2 ' <<<"$r2" || fail "boot 2: the boot count did not survive: $r2"

# 0 VMM exits per disk request and per packet, in nexit's own stats.
python3 - "$(sed -n 's/^NESTED-LIVE //p' <<<"$L")" "$(sed -n 's/^NEXIT-STATS-1 //p' <<<"$L")" <<'PY' ||
import json, sys
for what, txt in (("live, boot 2", sys.argv[1]), ("stats, boot 1", sys.argv[2])):
    s = json.loads(txt)
    devs = {d["type"]: d for d in s["passthrough"]["devices"]}
    b, n = devs["virtio-blk"], devs["virtio-net"]
    pk = n["tap_rx_packets"] + n["tap_tx_packets"]
    assert b["requests"] > 0 and b["data_path_exits"] == 0, (what, b)
    assert pk > 0 and n["notify_exits"] == 0 and n["vmm_exits_per_packet"] == 0, (what, n)
    print("%s: disk %d requests (%d reads, %d writes, %d flushes), %d data-path exits; "
          "net %d packets over %s, %d data-path exits" % (what, b["requests"], b["reads"],
          b["writes"], b["flushes"], b["data_path_exits"], pk, n["backend_kind"], n["notify_exits"]))
PY
	fail "data-path exits or no traffic in nexit's stats"

# kill -TERM: the guest's own shutdown, nexit exits 0 within 10 s.
term=$(grep '^NESTED-TERM ' <<<"$L") || fail "no SIGTERM result"
echo "$term"
grep -q '^L2-2| NEXIT-APPLIANCE-SHUTDOWN power-button' <<<"$L" ||
	fail "boot 2: the guest did not log its shutdown on the power button"
grep -q 'rc=0$' <<<"$term" || fail "SIGTERM: nexit did not exit 0: $term"
awk '{ split($2, a, "="); exit !(a[2] < 10) }' <<<"$term" || fail "SIGTERM: took 10 s or more: $term"
echo "pass: appliance root on virtio-blk, eth0 on vhost-net with ping, boot count persisted, 0 data-path exits, SIGTERM -> clean power-off (L1 run ${NESTED_BOOT_MS} ms)"
