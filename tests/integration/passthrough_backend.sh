#!/bin/bash
# An externally started backend (nexit-devd --socket, [device] backend =) with
# each wait strategy serves the INTx scenario (the backend is on that path),
# and `nexit stat` reads the live counters over --control while the guest runs.
# test: needs=kvm
source "$(dirname "$0")/../lib.sh"
need_kvm
[ -x "$NEXIT" ] && [ -x "$NEXIT_DEVD" ] && [ -f "$PROBE" ] || skip "build/nexit, nexit-devd or probe.elf missing (run make)"
T=$(mktemp -d)
DEVD=
trap '[ -n "$DEVD" ] && kill $DEVD 2>/dev/null; rm -rf "$T"' EXIT
for w in block poll adaptive; do
	"$NEXIT_DEVD" --socket "$T/d.sock" 2>"$T/devd.err" &
	DEVD=$!
	cat >"$T/vm.ini" <<INI
[kernel]
cmdline = scenario=intx-latency n=20000
[device "irq0"]
type = irqdev
backend = $T/d.sock
wait = $w
INI
	timeout -k 5 120 "$NEXIT" run --config "$T/vm.ini" --kernel "$PROBE" --control "$T/ctl" \
		--timeout 100 >"$T/out" 2>"$T/err" &
	vmm=$!
	for i in $(seq 100); do [ -S "$T/ctl" ] && break; sleep 0.05; done
	# Read the live counters while the guest is inside its interrupt loop.
	ok=; for i in $(seq 40); do
		# the first answer may come before the guest's first exit (ASan build)
		"$NEXIT" stat "$T/ctl" >"$T/live.json" 2>/dev/null &&
			python3 -c 'import json,sys; sys.exit(json.load(open(sys.argv[1]))["exits"]["total"] == 0)' \
				"$T/live.json" 2>/dev/null && { ok=1; break; }
		sleep 0.05
	done
	[ -n "$ok" ] || fail "$w: nexit stat failed"
	wait $vmm; rc=$?
	wait $DEVD; drc=$?; DEVD=
	j=$(probe_json "$T/out")
	echo "$w: $(echo "$j" | cut -c1-120)"
	[ $rc -eq 0 ] || fail "$w: nexit exited $rc: $(tail -n3 "$T/err")"
	[ $drc -eq 0 ] || fail "$w: nexit-devd exited $drc after nexit hung up: $(cat "$T/devd.err")"
	echo "$j" | grep -q '"result":"pass"' || fail "$w: scenario did not pass"
	python3 - "$T/live.json" <<'PY' || fail "$w: live stats"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["exits"]["total"] > 0
dev = d["passthrough"]["devices"][0]
assert dev["name"] == "irq0" and dev["state"] == "running", dev
assert any(l.get("id") == "irq0.msi0" for l in d["irq"]["lines"]), d["irq"]
PY
	rm -f "$T/ctl"
done
echo "pass: external backend with block/poll/adaptive waits; live nexit stat"
