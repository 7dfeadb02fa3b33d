#!/bin/bash
# Killing the out-of-process backend mid-scenario: nexit notices the hang-up,
# masks the device's lines (MSI route + irqfd, INTx source), says so once,
# keeps the guest running (the probe times out and reports), exits cleanly
# with the guest's status, and the stats show the lines as source-gone.
# test: needs=kvm
source "$(dirname "$0")/../lib.sh"
need_kvm
[ -x "$NEXIT" ] && [ -x "$NEXIT_DEVD" ] && [ -f "$PROBE" ] || skip "build/nexit, nexit-devd or probe.elf missing (run make)"
T=$(mktemp -d)
DEVD=; VMM=
cleanup() { [ -n "$DEVD" ] && kill $DEVD 2>/dev/null; [ -n "$VMM" ] && kill $VMM 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT
for s in intx-latency msi-latency; do
	"$NEXIT_DEVD" --socket "$T/devd.sock" 2>"$T/devd.err" &
	DEVD=$!
	timeout -k 5 120 "$NEXIT" run --kernel "$PROBE" --device "irqdev,backend=$T/devd.sock" \
		--cmdline "scenario=$s n=100000 timeout_ms=2000" --control "$T/ctl" \
		--stats-json "$T/s.json" --timeout 100 >"$T/out" 2>"$T/err" &
	VMM=$!
	# Kill the backend once interrupts flow (the control socket is up by then).
	for i in $(seq 50); do [ -S "$T/ctl" ] && break; sleep 0.1; done
	sleep 0.5
	kill -9 $DEVD || fail "$s: backend exited before it was killed: $(cat "$T/devd.err")"
	wait $DEVD 2>/dev/null
	DEVD=
	sleep 0.3
	"$NEXIT" stat "$T/ctl" >"$T/live.json" 2>/dev/null
	wait $VMM; rc=$?; VMM=
	j=$(probe_json "$T/out")
	echo "$s: rc=$rc $(echo "$j" | cut -c1-160)"
	grep 'hung up' "$T/err"
	# The guest kept running and left through isa-debug-exit: fail = (1<<1)|1.
	[ $rc -eq 3 ] || [ $rc -eq 0 ] || fail "$s: nexit exited $rc: $(tail -n3 "$T/err")"
	echo "$j" | grep -q '"scenario":"'$s'"' || fail "$s: no PROBE line after the backend died"
	[ "$(grep -c 'hung up' "$T/err")" -eq 1 ] || fail "$s: expected one hang-up report: $(cat "$T/err")"
	grep -q "lines masked" "$T/err" || fail "$s: report does not name the masked lines"
	for f in "$T/live.json" "$T/s.json"; do
		python3 - "$f" <<'PY' || fail "$s: $f does not show source-gone"
import json, sys
d = json.load(open(sys.argv[1]))
dev = d["passthrough"]["devices"][0]
assert dev["state"] == "source-gone" and dev["intx_state"] == "source-gone", dev
msi = [l for l in d["irq"]["lines"] if l.get("path") == "exitless"][0]
assert msi["state"] == "source-gone" and msi["source_gone"], msi
fb = [l for l in d["irq"]["lines"] if l.get("gsi") == dev["intx_gsi"] and l.get("path") != "exitless"]
assert not fb or fb[0].get("source_gone"), fb
PY
	done
done
echo "pass: backend killed mid-scenario, lines masked and reported, nexit exited cleanly"
