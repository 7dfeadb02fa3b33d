#!/bin/bash
# net_smoke: dpdk-testpmd (txonly) -> vhost-user -> nexit's virtio-net ->
# the probe's `net` scenario. Checks that packets arrive with interrupts and
# with polling, that the data path costs no VMM exits (counter page), that
# the stats JSON shows the device running, that the same probe driver runs
# under QEMU's vhost-user-net (if QEMU is there), that a backend killed
# mid-run leaves the guest running with one warning, and the bad-input errors.
# Needs root (hugepages, hugetlbfs mount), /dev/kvm and dpdk-testpmd.
# test: needs=kvm timeout=900
source "$(dirname "$0")/../lib.sh"
need_kvm
[ -x "$NEXIT" ] && [ -f "$PROBE" ] || skip "build nexit and the probe first (make)"
TESTPMD=$(command -v dpdk-testpmd) || skip "dpdk-testpmd missing (Debian package dpdk-dev, make deps)"
[ "$(id -u)" = 0 ] || skip "needs root for 2 MiB hugepages and a hugetlbfs mount"

T=$(mktemp -d /tmp/nexit-net.XXXXXX)
NR=/proc/sys/vm/nr_hugepages
NR_ORIG=""
TP=""
cleanup() {
	[ -n "$TP" ] && kill -INT "$TP" 2>/dev/null && { timeout -k 5 10 tail --pid="$TP" -f /dev/null; kill -KILL "$TP" 2>/dev/null; }
	mountpoint -q "$T/huge" && umount "$T/huge"
	rmdir "/var/run/dpdk/nexit-net-$$" 2>/dev/null
	[ -n "$NR_ORIG" ] && echo "$NR_ORIG" > $NR
	rm -rf "$T"
}
trap cleanup EXIT

# 96 free 2 MiB pages for testpmd -m 128 (raise the pool if needed).
need=96
free=$(awk '/HugePages_Free/ {print $2}' /proc/meminfo)
total=$(awk '/HugePages_Total/ {print $2}' /proc/meminfo)
if [ "$free" -lt $need ]; then
	NR_ORIG=$(cat $NR)
	base=$(( total > NR_ORIG ? total : NR_ORIG ))
	echo $(( base + need - free )) > $NR 2>/dev/null
	free=$(awk '/HugePages_Free/ {print $2}' /proc/meminfo)
	[ "$free" -ge $need ] || skip "cannot get $need free 2 MiB hugepages (have $free)"
fi
mkdir -p "$T/huge"
mount -t hugetlbfs -o pagesize=2M nodev "$T/huge" || skip "cannot mount hugetlbfs"

SOCK=$T/vhost.sock
start_testpmd() {
	rm -f "$SOCK"
	timeout -k 5 120 "$TESTPMD" -l 0-1 --no-pci --huge-dir "$T/huge" --file-prefix "nexit-net-$$" \
		--no-shconf --no-telemetry --huge-unlink -m 128 --vdev "net_vhost0,iface=$SOCK" -- --total-num-mbufs=8192 \
		--forward-mode=txonly --auto-start --stats-period 3600 >"$T/testpmd.log" 2>&1 </dev/null &
	TP=$!
	for _ in $(seq 300); do [ -S "$SOCK" ] && break; kill -0 $TP 2>/dev/null || break; sleep 0.1; done
	[ -S "$SOCK" ] || fail "testpmd created no socket: $(tail -n3 "$T/testpmd.log")"
}
start_testpmd

# The VMM on CPU 0, away from testpmd's poller on CPU 1 (see docs/net.md).
PIN=""
[ "$(nproc)" -ge 2 ] && command -v taskset >/dev/null && PIN="taskset -c 0"

run() {	# mode
	$PIN timeout -k 5 40 "$NEXIT" run --kernel "$PROBE" --mem 256M \
		--cmdline "scenario=net mode=$1 ms=300 wait_ms=15000 max_exits_per_1000=1" \
		--device "virtio-net,backend=$SOCK" --stats-json "$T/stats-$1.json" --timeout 35 \
		>"$T/out-$1" 2>"$T/err-$1"
}

for mode in irq poll; do
	run $mode; rc=$?
	j=$(probe_json "$T/out-$mode")
	[ $rc = 0 ] || fail "mode=$mode: nexit exited $rc: ${j:-$(tail -n2 "$T/err-$mode")}"
	python3 - "$mode" "$j" "$T/stats-$mode.json" <<'EOF' || fail "mode=$mode: $j"
import json, sys
mode, p, s = sys.argv[1], json.loads(sys.argv[2]), json.load(open(sys.argv[3]))
assert p["result"] == "pass" and p["mode"] == mode, "result/mode"
assert p["packets"] > 0, "no packets in the window"
assert p["frame_len"] == 64, "testpmd txonly frames are 64 bytes"
assert p["vmm_exits_per_1000_pkts"] is not None and p["vmm_exits_per_1000_pkts"] <= 1, "data path exits"
if mode == "irq":
    assert p["irqs"] > 0, "no receive interrupts"
else:
    assert p["irqs"] == 0, "interrupts while polling with NO_INTERRUPT"
dev = [d for d in s["passthrough"]["devices"] if d["type"] == "virtio-net"]
assert dev and dev[0]["starts"] == 1 and dev[0]["ioeventfds"] == 2, "device stats"
# The backend's interrupts never reach nexit: no exit count is claimed.
vl = [l for l in s["irq"]["lines"] if l.get("path") == "exitless"]
assert vl and all(l["vmm_exits"] is None for l in vl), "virtio-net lines claim vmm_exits: %s" % vl
print("net_smoke: mode=%s packets=%d pps=%d irqs=%d vmm_exits=%s" %
      (mode, p["packets"], p["pps"], p["irqs"], p["vmm_exits"]))
EOF
done

# The same probe driver under QEMU's vhost-user-net (virtio-net-pci, modern).
QEMU=$(command -v qemu-system-x86_64)
if [ -n "$QEMU" ]; then
	$PIN timeout -k 5 60 "$QEMU" -accel kvm -cpu host,-arch-capabilities \
		-machine q35,kernel-irqchip=split,memory-backend=mem \
		-object memory-backend-memfd,id=mem,size=256M,share=on -m 256 -smp 1 -nodefaults \
		-no-user-config -display none -monitor none -serial stdio -no-reboot \
		-device isa-debug-exit,iobase=0xf4,iosize=4 -chardev "socket,id=vhu0,path=$SOCK" \
		-netdev vhost-user,id=net0,chardev=vhu0 -device virtio-net-pci,netdev=net0,disable-legacy=on \
		-kernel "$PROBE" -append "scenario=net mode=irq ms=300 wait_ms=15000" >"$T/out-qemu" 2>"$T/err-qemu"
	rc=$?
	j=$(probe_json "$T/out-qemu")
	[ $rc = 0 ] || fail "QEMU exited $rc: ${j:-$(tail -n2 "$T/err-qemu")}"
	python3 -c '
import json, sys
p = json.loads(sys.argv[1])
assert p["result"] == "pass" and p["packets"] > 0 and p["irqs"] > 0 and p["vmm_exits"] is None, p
print("net_smoke: qemu mode=irq packets=%d pps=%d irqs=%d" % (p["packets"], p["pps"], p["irqs"]))
' "$j" || fail "QEMU: $j"
else
	echo "net_smoke: no qemu-system-x86_64, QEMU part not run"
fi

# The backend dies mid-window: nexit masks the vectors, warns once, and the
# guest runs to its end (exit 0 with packets from before, or 3 if the kill
# came before its window opened), never a crash or a hang.
CTL=$T/control.sock
$PIN timeout -k 5 40 "$NEXIT" run --kernel "$PROBE" --mem 256M --control "$CTL" \
	--cmdline "scenario=net mode=poll ms=3000 wait_ms=15000" \
	--device "virtio-net,backend=$SOCK" --stats-json "$T/stats-kill.json" --timeout 35 \
	>"$T/out-kill" 2>"$T/err-kill" &
VM=$!
for _ in $(seq 150); do
	timeout -k 5 5 "$NEXIT" stat "$CTL" 2>/dev/null | grep -q '"state": *"running"' && break
	sleep 0.1
done
sleep 1
# SIGKILL to testpmd itself ($TP is the timeout wrapping it, which only
# forwards catchable signals).
pkill -KILL -P $TP; wait $TP 2>/dev/null; TP=""
wait $VM; rc=$?
[ $rc = 0 ] || [ $rc = 3 ] || fail "backend killed: nexit exited $rc: $(tail -n3 "$T/err-kill")"
grep -q "vhost-user backend $SOCK hung up" "$T/err-kill" || fail "backend killed: no warning: $(cat "$T/err-kill")"
python3 -c '
import json, sys
d = [x for x in json.load(open(sys.argv[1]))["passthrough"]["devices"] if x["type"] == "virtio-net"][0]
assert d["state"] == "source-gone" and d["ioeventfds"] == 0, d
' "$T/stats-kill.json" || fail "backend killed: device stats"
echo "net_smoke: backend killed mid-run: guest finished (exit $rc), vectors masked"

# Bad input: one error line, non-zero exit, no hang.
out=$(timeout -k 5 20 "$NEXIT" run --kernel "$PROBE" --timeout 15 --device virtio-net 2>&1); rc=$?
[ $rc != 0 ] && grep -q "^nexit: error: .*needs backend=SOCKET" <<<"$out" || fail "no backend: $out"
out=$(timeout -k 5 20 "$NEXIT" run --kernel "$PROBE" --timeout 15 --device "virtio-net,backend=$SOCK,queues=2" 2>&1); rc=$?
[ $rc != 0 ] && grep -q "^nexit: error: .*queues must be 1" <<<"$out" || fail "queues=2: $out"
out=$(timeout -k 5 20 "$NEXIT" run --kernel "$PROBE" --timeout 15 --device "virtio-net,backend=$SOCK,mac=01:00:00:00:00:01" 2>&1); rc=$?
[ $rc != 0 ] && grep -q "^nexit: error: .*mac must be a unicast" <<<"$out" || fail "multicast mac: $out"
out=$(timeout -k 5 20 "$NEXIT" run --kernel "$PROBE" --timeout 15 --device "virtio-net,backend=$T/none.sock" 2>&1); rc=$?
[ $rc != 0 ] && grep -q "^nexit: error: cannot connect to vhost-user backend" <<<"$out" || fail "no socket: $out"
echo "net_smoke: pass"
