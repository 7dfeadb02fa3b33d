#!/bin/bash
# net_smoke: dpdk-testpmd (txonly) -> vhost-user -> nexit's virtio-net ->
# the probe's `net` scenario. Checks that packets arrive with interrupts and
# with polling, that the data path costs no VMM exits (counter page), that
# the stats JSON shows the device running, and the bad-input errors.
# Needs root (hugepages, hugetlbfs mount), /dev/kvm and dpdk-testpmd.
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
	[ -n "$TP" ] && kill -INT "$TP" 2>/dev/null && { timeout 10 tail --pid="$TP" -f /dev/null; kill -KILL "$TP" 2>/dev/null; }
	mountpoint -q "$T/huge" && umount "$T/huge"
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
timeout 120 "$TESTPMD" -l 0-1 --no-pci --huge-dir "$T/huge" --file-prefix "nexit-net-$$" \
	--huge-unlink -m 128 --vdev "net_vhost0,iface=$SOCK" -- --total-num-mbufs=8192 \
	--forward-mode=txonly --auto-start --stats-period 3600 >"$T/testpmd.log" 2>&1 </dev/null &
TP=$!
for _ in $(seq 300); do [ -S "$SOCK" ] && break; kill -0 $TP 2>/dev/null || break; sleep 0.1; done
[ -S "$SOCK" ] || fail "testpmd created no socket: $(tail -n3 "$T/testpmd.log")"

# The VMM on CPU 0, away from testpmd's poller on CPU 1 (see docs/net.md).
PIN=""
[ "$(nproc)" -ge 2 ] && command -v taskset >/dev/null && PIN="taskset -c 0"

run() {	# mode
	$PIN timeout 40 "$NEXIT" run --kernel "$PROBE" --mem 256M \
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
print("net_smoke: mode=%s packets=%d pps=%d irqs=%d vmm_exits=%s" %
      (mode, p["packets"], p["pps"], p["irqs"], p["vmm_exits"]))
EOF
done

# Bad input: one error line, non-zero exit, no hang.
out=$(timeout 20 "$NEXIT" run --kernel "$PROBE" --device virtio-net 2>&1); rc=$?
[ $rc != 0 ] && grep -q "^nexit: error: .*needs backend=SOCKET" <<<"$out" || fail "no backend: $out"
out=$(timeout 20 "$NEXIT" run --kernel "$PROBE" --device "virtio-net,backend=$SOCK,queues=2" 2>&1); rc=$?
[ $rc != 0 ] && grep -q "^nexit: error: .*queues must be 1" <<<"$out" || fail "queues=2: $out"
out=$(timeout 20 "$NEXIT" run --kernel "$PROBE" --device "virtio-net,backend=$SOCK,mac=01:00:00:00:00:01" 2>&1); rc=$?
[ $rc != 0 ] && grep -q "^nexit: error: .*mac must be a unicast" <<<"$out" || fail "multicast mac: $out"
out=$(timeout 20 "$NEXIT" run --kernel "$PROBE" --device "virtio-net,backend=$T/none.sock" 2>&1); rc=$?
[ $rc != 0 ] && grep -q "^nexit: error: cannot connect to vhost-user backend" <<<"$out" || fail "no socket: $out"
echo "net_smoke: pass"
