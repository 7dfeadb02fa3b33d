#!/bin/bash
# net_tap: virtio-net's tap + vhost-net backend, what this host can check
# (the data path itself is tested in the nested machine, where vhost_net
# loads: tests/integration/appliance_io.sh). Bad input is one error line
# and a non-zero exit: a tap name that is not an interface name, tap
# without backend = tap and the reverse, no /dev/vhost-net; a tap nexit
# created does not outlive it.
# test: needs=kvm timeout=120
source "$(dirname "$0")/../lib.sh"
[ -x "$NEXIT" ] && [ -f "$PROBE" ] || skip "build nexit and the probe first (make)"
# Load tun itself (as appliance_io does): in an L1 booted again after a
# stall no earlier test may have loaded it.
[ -c /dev/net/tun ] || modprobe tun 2>/dev/null || busybox modprobe tun 2>/dev/null || true
[ -c /dev/net/tun ] || skip "no /dev/net/tun"
[ "$(id -u)" = 0 ] || skip "creating a tap needs root (CAP_NET_ADMIN)"
ERR=$(mktemp /tmp/nexit-net-tap.XXXXXX)
pid=""
trap '[ -n "$pid" ] && kill -TERM $pid 2>/dev/null; rm -f "$ERR"' EXIT

bad() {	# device spec, expected error
	out=$(timeout -k 5 20 "$NEXIT" run --kernel "$PROBE" --no-defaults --timeout 15 \
		--device "$1" 2>&1); rc=$?
	[ $rc != 0 ] && [ "$(grep -c '^nexit: error:' <<<"$out")" = 1 ] && grep -q "$2" <<<"$out" ||
		fail "--device $1: rc=$rc: $out"
}
bad "virtio-net,backend=tap" "backend = tap needs tap = NAME"
bad "virtio-net,tap=nexit-t0" "tap = nexit-t0 needs backend = tap"
bad "virtio-net,backend=tap,tap=a-name-much-too-long" "is not an interface name"
bad "virtio-net,backend=tap,tap=a/b" "is not an interface name"
if [ ! -e /dev/vhost-net ]; then
	bad "virtio-net,backend=tap,tap=nexit-t$$" "cannot open /dev/vhost-net"
	ip link show "nexit-t$$" >/dev/null 2>&1 && fail "the tap nexit created outlived it"
	echo "net_tap: no /dev/vhost-net here: one error line, the created tap is gone"
else
	# vhost-net is here: the device comes up and the tap exists while nexit runs.
	timeout -k 5 30 "$NEXIT" run --kernel "$PROBE" --no-defaults --timeout 20 \
		--device "virtio-net,backend=tap,tap=nexit-t$$" \
		--cmdline "scenario=power-button wait_ms=3000" >/dev/null 2>"$ERR" &
	pid=$!
	for _ in $(seq 50); do ip link show "nexit-t$$" >/dev/null 2>&1 && break; sleep 0.1; done
	ip link show "nexit-t$$" | grep -q 'UP' || fail "nexit did not create and bring up tap nexit-t$$"
	wait $pid
	pid=""
	ip link show "nexit-t$$" >/dev/null 2>&1 && fail "the tap nexit created outlived it"
	grep -q "vhost-net backend nexit-t$$" "$ERR" || fail "no vhost-net device: $(cat "$ERR")"
	echo "net_tap: vhost-net: tap created, up, and gone with nexit"
fi
echo "net_tap: pass"
