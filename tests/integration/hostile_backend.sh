#!/bin/bash
# The trust boundary with device backends (issue 12): a backend that never
# answers, answers with garbage, floods nexit with fds, answers out of turn or
# sends an oversized message is cut off - its lines masked, one report naming
# why - while the guest runs on, `nexit stat` answers and nexit exits on the
# guest's own end; no fd the backend sent stays open in nexit. A nexit-devd
# that is stopped (SIGSTOP) is cut off the same way, killed and reaped (no
# zombie). The guest is the probe's fact-max (the factorial is the backend's
# work), held alive for a while after its device disappears.
# test: needs=kvm
source "$(dirname "$0")/../lib.sh"
need_kvm
[ -x "$NEXIT" ] && [ -x "$NEXIT_DEVD" ] && [ -f "$PROBE" ] || skip "build/nexit, nexit-devd or probe.elf missing (run make)"
T=$(mktemp -d)
FAKE=; VMM=
cleanup() { [ -n "$FAKE" ] && kill $FAKE 2>/dev/null; [ -n "$VMM" ] && kill -9 $VMM 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT
CMD="scenario=fact-max timeout_ms=5000 hold_ms=1500"

# run_vm NAME ARGS...: nexit in the background; waits for the cut-off report
# and checks nexit stat answers while the guest still runs. Sets $rc.
run_vm() {
	local name=$1; shift
	timeout -k 5 60 "$NEXIT" run --kernel "$PROBE" --cmdline "$CMD" --control "$T/ctl" \
		--timeout 45 "$@" >"$T/out" 2>"$T/err" &
	VMM=$!
	for i in $(seq 100); do nx=$(pgrep -P $VMM -x nexit) && break; sleep 0.05; done
	wait_line "$T/err" 'cut off' 10
	grep -q 'cut off' "$T/err" || { kill -9 $VMM; fail "$name: no cut-off report: $(tail -n3 "$T/err")"; }
	timeout -k 5 2 "$NEXIT" stat "$T/ctl" >"$T/live.json" || fail "$name: nexit stat did not answer after the cut-off"
	python3 - "$T/live.json" <<'PY' || fail "$name: live stats do not show the device gone"
import json, sys
dev = json.load(open(sys.argv[1]))["passthrough"]["devices"][0]
assert dev["state"] == "source-gone" and dev["mode"] == "none", dev
PY
	[ -d /proc/$nx/fd ] || fail "$name: nexit (pid $nx) is gone before its guest ended"
	fdleak=$(ls -l /proc/$nx/fd | grep -c 'memfd:fdflood')
	wait $VMM; rc=$?; VMM=
}

check() {	# name, expected reason
	local name=$1 why=$2 j
	j=$(probe_json "$T/out")
	echo "$name: rc=$rc $(grep 'cut off' "$T/err")"
	# The guest ran on: its device read all-ones, it failed through isa-debug-exit (3).
	[ $rc -eq 3 ] || fail "$name: nexit exited $rc (expected the guest's failure, 3): $(tail -n3 "$T/err")"
	echo "$j" | grep -q '"gone":true' || fail "$name: the guest did not see the device disappear: $j"
	[ "$(grep -c 'cut off' "$T/err")" -eq 1 ] || fail "$name: expected one cut-off report"
	grep -q "cut off: $why: lines masked (msi gsi" "$T/err" || fail "$name: report does not say '$why'"
	[ "$fdleak" = 0 ] || fail "$name: $fdleak fds the backend sent are still open in nexit"
}

for mode in silent garbage fdflood early big; do
	python3 tests/fake_devd.py "$T/d.sock" $mode 2>"$T/fake.err" &
	FAKE=$!
	run_vm $mode --device "irqdev,backend=$T/d.sock"
	wait $FAKE 2>/dev/null; FAKE=
	case $mode in
	silent) why="no answer to WORK within 2000 ms";;
	early) why="message out of turn";;
	*) why="malformed message";;
	esac
	check $mode "$why"
done

# nexit-devd stopped: cut off, then killed and reaped by nexit.
timeout -k 5 60 "$NEXIT" run --kernel "$PROBE" --cmdline "scenario=fact-max timeout_ms=5000 delay_ms=3000 hold_ms=3000" \
	--device irqdev --control "$T/ctl" --timeout 45 >"$T/out" 2>"$T/err" &
VMM=$!
for i in $(seq 100); do nx=$(pgrep -P $VMM -x nexit) && devd=$(pgrep -P $nx -x nexit-devd) && break; sleep 0.05; done
[ -n "$devd" ] || fail "stopped: nexit-devd did not start"
# Stopped once it runs: the device line comes after the backend's SETUP
# answer; a backend stopped before it is a start-up error ("did not answer
# SETUP within 5 s"), not this case.
wait_line "$T/err" 'irqdev cli0: PCI' 10
grep -q 'irqdev cli0: PCI' "$T/err" || fail "stopped: the device did not come up: $(tail -n3 "$T/err")"
kill -STOP $devd
wait_line "$T/err" 'cut off' 10
timeout -k 5 2 "$NEXIT" stat "$T/ctl" >/dev/null || fail "stopped: nexit stat did not answer: $(cat "$T/err")"
for i in $(seq 40); do [ -e /proc/$devd ] || break; sleep 0.05; done
[ -e /proc/$devd ] && fail "stopped: nexit-devd $devd is still there ($(awk '/State/{print $2}' /proc/$devd/status)) after the cut-off"
wait $VMM; rc=$?; VMM=
fdleak=0
check stopped "no answer to WORK within 2000 ms"
grep -q "pid $devd killed by signal 9" "$T/err" || fail "stopped: no report of the backend's end: $(cat "$T/err")"
echo "pass: 6 hostile backends cut off, guest ran on, nexit answered and exited, no fd or zombie left"
