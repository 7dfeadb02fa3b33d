#!/bin/bash
# A vhost-user backend that stops answering (issue 12): the hand-over of the
# rings (DRIVER_OK) and their take-back (the guest's reset) talk to the
# backend from virtio-net's control thread, never from a vCPU holding the
# PCI bus lock. While the backend leaves GET_VRING_BASE unanswered, or is
# SIGSTOPped, `nexit stat` answers at once, the guest's reset completes
# once nexit cuts the backend off (status reads 0 within the 5 s bound),
# and nexit exits on the guest's own end. The guest is the probe's `net`
# scenario (no packet ever comes, so it fails: exit status 3).
# test: needs=kvm
source "$(dirname "$0")/../lib.sh"
need_kvm
[ -x "$NEXIT" ] && [ -f "$PROBE" ] || skip "build/nexit or probe.elf missing (run make)"
T=$(mktemp -d)
FAKE=; VMM=
cleanup() { [ -n "$FAKE" ] && kill -9 $FAKE 2>/dev/null; [ -n "$VMM" ] && kill -9 $VMM 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT

for mode in hang stopped; do
	python3 tests/fake_vhost_user.py "$T/v.sock" $mode 2>"$T/fake.err" &
	FAKE=$!
	for i in $(seq 100); do [ -S "$T/v.sock" ] && break; sleep 0.05; done
	timeout -k 5 90 "$NEXIT" run --kernel "$PROBE" --device "virtio-net,backend=$T/v.sock" \
		--cmdline "scenario=net wait_ms=300 ms=100" --control "$T/ctl" --timeout 60 \
		>"$T/out" 2>"$T/err" &
	VMM=$!
	# The moment the guest resets: hang logs GET_VRING_BASE; a stopped
	# backend logs nothing more, so wait for the rings' hand-over time.
	if [ $mode = hang ]; then
		wait_line "$T/fake.err" GET_VRING_BASE 20
		grep -q GET_VRING_BASE "$T/fake.err" || fail "$mode: the guest never reset the device"
	else
		sleep 2
	fi
	t0=$(date +%s%N)
	timeout -k 5 2 "$NEXIT" stat "$T/ctl" >"$T/live.json" ||
		fail "$mode: nexit stat did not answer within 2 s while the backend hangs"
	ms=$(( ($(date +%s%N) - t0) / 1000000 ))
	wait $VMM; rc=$?; VMM=
	kill -9 $FAKE 2>/dev/null; wait $FAKE 2>/dev/null; FAKE=
	j=$(probe_json "$T/out")
	echo "$mode: rc=$rc, nexit stat answered in $ms ms; $(echo "$j" | grep -o '"reset_done":[a-z]*,"reset_ms":[0-9]*')"
	grep 'cut off' "$T/err"
	[ $rc -eq 3 ] || fail "$mode: nexit exited $rc (expected the guest's failure, 3): $(tail -n3 "$T/err")"
	echo "$j" | grep -q '"reset_done":true' || fail "$mode: the guest's reset never completed: $j"
	grep -q "cut off (no answer to GET_VRING_BASE)" "$T/err" || fail "$mode: no cut-off report"
done
echo "pass: a hung and a stopped vhost-user backend: nexit answered, the reset completed, nexit exited"
