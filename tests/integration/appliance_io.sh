#!/bin/bash
# appliance_io: the production appliance (guest/appliance) on a KVM that
# boots Linux (tests/run.sh places it in the nested L1 machine on hosts
# whose KVM cannot): its root on nexit's virtio-blk, eth0 on virtio-net over
# a tap with the kernel's vhost-net, its lifecycle. A fresh copy of the root
# image and a tap of its own, so a running appliance is not disturbed.
#  boot 1 (nexit.run=once): the ready line names the root device and file
#    system (/dev/vda, ext4), eth0 is up and pings 10.0.2.1 (this side of
#    the tap); the appliance counts the boot on its disk (boot=1);
#  boot 2 (nexit.run=serve nexit.load=N): boot=2 (the file boot 1 wrote is
#    still there); between two `nexit stat` snapshots a TCP connection to the
#    guest starts N direct reads and N direct writes of its disk: the raw
#    counters around it must show the disk requests and packets with 0 MMIO
#    exits (virtio's notify is MMIO: a notify that missed its ioeventfd is
#    the data path's only possible VMM exit) and 0 data-path exits; then
#    `kill -TERM` of nexit: the guest logs its own shutdown (power button)
#    and nexit exits 0 within 10 s.
# test: needs=linux timeout=900
source "$(dirname "$0")/../lib.sh"
need_linux_kvm
[ "$(id -u)" = 0 ] || skip "the tap needs root (CAP_NET_ADMIN)"
for m in tun:/dev/net/tun vhost_net:/dev/vhost-net; do
	[ -e "${m#*:}" ] || modprobe "${m%%:*}" 2>/dev/null || busybox modprobe "${m%%:*}" 2>/dev/null ||
		fail "no ${m#*:} (modprobe ${m%%:*} failed)"
done
command -v ip >/dev/null || fail "no ip (iproute2)"
[ -s build/appliance/vmlinux ] && [ -s build/appliance/initramfs.cpio ] ||
	fail "no appliance (make appliance)"

LOAD=100
T=$(mktemp -d /tmp/nexit-appio.XXXXXX)
TAP=nxio$$
pid=""
cleanup() {
	[ -n "$pid" ] && { kill -KILL $pid 2>/dev/null; wait $pid 2>/dev/null; }
	ip link del "$TAP" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT

# The appliance's own file with a fresh root image and this test's tap.
sed -e "s|^path = build/appliance/root.img|path = $T/root.img|" \
    -e "s|^root = build/appliance/root.img|root = $T/root.img|" \
    -e "s|^tap = nexit0|tap = $TAP|" guest/appliance/appliance.ini > "$T/app.ini"
grep -q "^path = $T/root.img" "$T/app.ini" && grep -q "^tap = $TAP" "$T/app.ini" ||
	fail "appliance.ini no longer has the lines this test rewrites"
"$NEXIT" image --config "$T/app.ini" >"$T/image.out" 2>&1 || fail "nexit image: $(cat "$T/image.out")"
cmd="$(sed -n 's/^cmdline = //p' "$T/app.ini") nexit.ping=10.0.2.1"

# This side of the tap nexit creates: 10.0.2.1/24 once it exists.
tap_up() {
	for _ in $(seq 300); do [ -e /sys/class/net/$TAP ] && break; sleep 0.1; done
	ip addr add 10.0.2.1/24 dev $TAP && ip link set $TAP up || echo "tap $TAP did not come up"
}
# show N: the boot's console, nexit's stderr.
show() {
	sed "s/^/L2-$1| /" "$T/out$1"
	sed "s/^/nexit-$1| /" "$T/err$1"
}
# show_tail N: the last lines of the boot's console and of nexit's stderr.
show_tail() {
	tail -n 25 "$T/out$1" | sed "s/^/L2-$1| /"
	tail -n 25 "$T/err$1" | sed "s/^/nexit-$1| /"
}
# ---- boot 1: root, network, the first boot ------------------------------
timeout -k 5 130 "$NEXIT" run --config "$T/app.ini" --cmdline "$cmd" --timeout 120 \
	--stats-json "$T/stats1.json" >"$T/out1" 2>"$T/err1" &
pid=$!
tap_up
wait $pid
rc=$?
pid=""
show 1 | grep -E '^L2-1\| (NEXIT|Run /init|EXT4)|^nexit-1\|'
r1=$(grep -a '^NEXIT-APPLIANCE-READY' "$T/out1") || fail "boot 1: no ready line (nexit exited $rc)"
echo "boot 1: $r1"
[ $rc = 0 ] || fail "boot 1: nexit exited $rc"
grep -q ' root=/dev/vda fs=ext4 ' <<<"$r1" || fail "boot 1: root is not /dev/vda ext4: $r1"
grep -q ' boot=1 ' <<<"$r1" || fail "boot 1: not the disk's first boot: $r1"
grep -q ' eth0=10.0.2.15/24 ping=ok' <<<"$r1" || fail "boot 1: eth0 or the ping failed: $r1"
grep -q "virtio-net eth0: .*vhost-net backend $TAP" "$T/err1" || fail "boot 1: eth0 is not on vhost-net"

# ---- boot 2: the file boot 1 wrote, exits around a load, SIGTERM --------
timeout -k 5 130 "$NEXIT" run --config "$T/app.ini" --control "$T/ctl.sock" --timeout 120 \
	--cmdline "${cmd/nexit.run=once/nexit.run=serve} nexit.load=$LOAD" \
	--stats-json "$T/stats2.json" >"$T/out2" 2>"$T/err2" &
pid=$!
tap_up
# Longer than nexit's own --timeout: a guest that hangs is stopped by nexit,
# which reports where its vCPU was (tests/run.sh tells that from a failure).
wait_line "$T/out2" NEXIT-APPLIANCE-SERVING 130 "$pid" || { show_tail 2; fail "boot 2: never served"; }
r2=$(grep -a '^NEXIT-APPLIANCE-READY' "$T/out2")
echo "boot 2: $r2"
grep -q ' boot=2 ' <<<"$r2" || fail "boot 2: the boot count did not survive: $r2"
timeout -k 2 20 "$NEXIT" stat "$T/ctl.sock" > "$T/before.json" || fail "nexit stat failed"
ok=""
for _ in $(seq 50); do
	timeout -k 1 3 bash -c 'echo go > /dev/tcp/10.0.2.15/7000' 2>/dev/null && { ok=1; break; }
	sleep 0.2
done
[ -n "$ok" ] || fail "boot 2: cannot connect to the guest's port 7000"
wait_line "$T/out2" NEXIT-APPLIANCE-LOAD 120 "$pid" || { show_tail 2; fail "boot 2: the load never finished"; }
timeout -k 2 20 "$NEXIT" stat "$T/ctl.sock" > "$T/after.json" || fail "nexit stat failed"
python3 - "$T/before.json" "$T/after.json" "$T/stats1.json" "$LOAD" <<'PY' || fail "VMM exits on the data path (above)"
import json, sys
a, b, s1 = (json.load(open(p)) for p in sys.argv[1:4])
load = int(sys.argv[4])
def devs(s):
    return {d["type"]: d for d in s["passthrough"]["devices"]}
def pk(n):
    return n["tap_rx_packets"] + n["tap_tx_packets"]
ab, an, bb, bn = devs(a)["virtio-blk"], devs(a)["virtio-net"], devs(b)["virtio-blk"], devs(b)["virtio-net"]
d = lambda k: b["exits"]["by_reason"].get(k, 0) - a["exits"]["by_reason"].get(k, 0)
req, pkts = bb["requests"] - ab["requests"], pk(bn) - pk(an)
tot = b["exits"]["total"] - a["exits"]["total"]
print("boot 2, around the load: disk +%d requests (+%d reads, +%d writes, +%d flushes), "
      "net +%d packets (%s); VMM exits +%d (io +%d: the console's ports; mmio +%d); "
      "data-path exits: disk +%d, net +%d" % (req, bb["reads"] - ab["reads"], bb["writes"] - ab["writes"],
      bb["flushes"] - ab["flushes"], pkts, bn["backend_kind"], tot, d("io"), d("mmio"),
      bb["data_path_exits"] - ab["data_path_exits"], bn["notify_exits"] - an["notify_exits"]))
bad = []
if req < 2 * load: bad.append("fewer than %d disk requests" % (2 * load))
if pkts < 2: bad.append("no packets")
if d("mmio"): bad.append("%d MMIO exits" % d("mmio"))
if tot != d("io"): bad.append("%d exits other than port I/O" % (tot - d("io")))
if bb["data_path_exits"] or bn["notify_exits"]: bad.append("data-path exits")
# The stats' own figures, over the whole run so far.
print("stats: virtio-blk vmm_exits_per_request %s (%d requests), virtio-net vmm_exits_per_packet %s (%d packets)"
      % (bb["vmm_exits_per_request"], bb["requests"], bn["vmm_exits_per_packet"], pk(bn)))
if bb["vmm_exits_per_request"] != 0 or bn["vmm_exits_per_packet"] != 0:
    bad.append("vmm_exits_per_request/per_packet not 0")
sb, sn = devs(s1)["virtio-blk"], devs(s1)["virtio-net"]
print("boot 1, whole run: disk %d requests, %d data-path exits; net %d packets, %d data-path exits; "
      "VMM exits %d (io %d, mmio %d)" % (sb["requests"], sb["data_path_exits"], pk(sn),
      sn["notify_exits"], s1["exits"]["total"], s1["exits"]["by_reason"]["io"], s1["exits"]["by_reason"]["mmio"]))
if sb["requests"] == 0 or sb["data_path_exits"] or pk(sn) == 0 or sn["notify_exits"]:
    bad.append("boot 1: no traffic or data-path exits")
if bad:
    print("FAIL: " + "; ".join(bad)); sys.exit(1)
PY

t0=$(date +%s%N)
kill -TERM $pid
wait $pid
rc=$?
pid=""
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
show 2 | grep -E '^L2-2\| (NEXIT|appliance)|^nexit-2\|'
echo "SIGTERM: nexit exited $rc after $ms ms"
grep -q '^NEXIT-APPLIANCE-SHUTDOWN power-button' "$T/out2" ||
	fail "boot 2: the guest did not log its shutdown on the power button"
[ $rc = 0 ] || fail "SIGTERM: nexit exited $rc"
[ $ms -lt 10000 ] || fail "SIGTERM: took $ms ms (limit 10 s)"
ip link show "$TAP" >/dev/null 2>&1 && fail "the tap nexit created outlived it"
echo "pass: root on virtio-blk, eth0 on vhost-net with ping, boot count persisted, 0 data-path exits, SIGTERM -> clean power-off in $ms ms"
