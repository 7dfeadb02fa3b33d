#!/bin/bash
# Storm containment on the exitless path (issue 15 item 3), under irqchip
# split and kernel: device A's backend (tests/fake_devd.py storm) raises its
# MSI as fast as it can for STORM_MS once the guest asks it for a factorial,
# counting each raise on nexit's counter page; device B is an ordinary irqdev.
# The probe's msi-storm scenario and the raw counters must show:
#  - before the storm A's MSIs take 0 VMM exits and 0 are relayed by nexit;
#  - during it nexit's guard took A off the exitless path (storms >= 1, the
#    guest saw relayed MSIs), held its relay (held_windows >= 1) and relayed
#    at most relay_per_window per window, far fewer than the source raised;
#    B was served in full and never touched (0 relayed, 0 storms);
#  - `nexit stat` showed A "gated" while the storm ran;
#  - after the back-off A is exitless again (returns >= 1, state exitless)
#    with 0 VMM exits and 0 relayed over its next MSIs.
# The backend cannot shrink the counter page nexit reads (sealed memfd).
# A control run with the guard off (msi_budget=0) must show the storm
# reaching the guest uncontained (0 relayed, contained false).
# test: needs=kvm l1=also timeout=600
source "$(dirname "$0")/../lib.sh"
need_kvm
[ -x "$NEXIT" ] && [ -x "$NEXIT_DEVD" ] && [ -f "$PROBE" ] || fail "build/nexit, nexit-devd or probe.elf missing (run make)"
T=$(mktemp -d)
FAKE=; VMM=
cleanup() {
	[ -n "$FAKE" ] && kill $FAKE 2>/dev/null
	[ -n "$VMM" ] && kill -9 $VMM 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
STORM_MS=1500
GUARD="msi_budget=200,msi_window_ms=10,msi_backoff_ms=200"
failed=0

# run CHIP GUARD_OPTS: one VM, the storming backend on A; fills $T/out,
# $T/s.json and $T/states (A's guard state per `nexit stat` poll).
run() {
	local chip=$1 opts=$2
	rm -f "$T/s.json" "$T/states" "$T/ctl"
	python3 tests/fake_devd.py "$T/d.sock" storm $STORM_MS 2>"$T/fake.err" &
	FAKE=$!
	timeout -k 5 120 "$NEXIT" run --kernel "$PROBE" --cpus 2 --irqchip "$chip" \
		--cmdline "scenario=msi-storm n=100 quiet_ms=300 settle_ms=1000" \
		--device "irqdev,backend=$T/d.sock${opts:+,$opts}" --device irqdev \
		--control "$T/ctl" --stats-json "$T/s.json" --timeout 100 >"$T/out" 2>"$T/err" &
	VMM=$!
	# nexit stat while the VM runs, as often as it answers: is a storm
	# guard (A's: B never storms) in state gated?
	while kill -0 $VMM 2>/dev/null; do
		if timeout -k 1 2 "$NEXIT" stat "$T/ctl" >"$T/live.json" 2>/dev/null; then
			tr -d ' \n' <"$T/live.json" | grep -q '"guard":{"source":"[a-z-]*","state":"gated"' &&
				echo gated >>"$T/states" || echo - >>"$T/states"
		fi
		sleep 0.02
	done
	wait $VMM; rc=$?; VMM=
	wait $FAKE 2>/dev/null; FAKE=
	grep -q 'counter page shrink refused' "$T/fake.err" ||
		{ echo "    FAIL: the backend could shrink the counter page: $(head -n2 "$T/fake.err")"; failed=1; }
	echo "[$chip${opts:+ $opts}] nexit exit $rc; $(grep -a 'storm' "$T/err" | head -n2 | tr '\n' ' ')"
	echo "    $(probe_json "$T/out" | cut -c1-900)"
}

for chip in ${PROBE_IRQCHIPS:-split kernel}; do
	run "$chip" "$GUARD"
	python3 - "$(probe_json "$T/out")" "$T/s.json" "$T/states" "$rc" <<'PY' || failed=1
import json, sys
raw, sfile, states, rc = sys.argv[1:5]
bad = []
def need(ok, what):
    if not ok:
        bad.append(what)
need(rc == "0", "nexit exit status %s" % rc)
try:
    j = json.loads(raw)
    s = json.load(open(sfile))
except (ValueError, OSError) as e:
    print("    FAIL: no PROBE line or stats (%s)" % e); sys.exit(1)
lines = {l["id"]: l for l in s["irq"]["lines"]}
a, b = lines["cli0.msi0"]["guard"], lines["cli1.msi0"]["guard"]
seen = open(states).read().split()
need(j["result"] == "pass", "scenario result %s" % j["result"])
need(j["before_received"] == 100 and j["before_vmm_exits"] == 0 and j["before_relayed"] == 0,
     "before: %d received, %s exits, %s relayed" % (j["before_received"], j["before_vmm_exits"], j["before_relayed"]))
need(j["relayed_during"] > 0, "storm reached the guest without nexit (relayed_during 0)")
need(j["b_received"] == 100, "B served %d of 100 during the storm" % j["b_received"])
need(j["after_received"] == 100 and j["after_vmm_exits"] == 0 and j["after_relayed"] == 0,
     "after: %d received, %s exits, %s relayed" % (j["after_received"], j["after_vmm_exits"], j["after_relayed"]))
need(a["storms"] >= 1 and a["returns"] >= 1 and a["state"] == "exitless",
     "A's guard: storms %d returns %d state %s" % (a["storms"], a["returns"], a["state"]))
need(a["held_windows"] >= 1, "A's relay was never held (throttle unused)")
# The throttle: relay_per_window per window at most, over the whole run.
windows = s["run_ms"] / a["window_ms"] + 2
need(0 < a["relayed"] <= a["relay_per_window"] * windows,
     "A relayed %d, bound %d" % (a["relayed"], a["relay_per_window"] * windows))
need(a["source_count"] > 10 * a["relayed"], "source raised %d, relayed %d: no containment"
     % (a["source_count"], a["relayed"]))
need(s["msi_relayed"] == a["relayed"], "msi_relayed %d != A's relayed %d" % (s["msi_relayed"], a["relayed"]))
need(b["storms"] == 0 and b["relayed"] == 0, "B's guard: storms %d relayed %d" % (b["storms"], b["relayed"]))
need("gated" in seen, "nexit stat never showed A gated (%d polls)" % len(seen))
print("    A: source raised %d, relayed %d (%d per %d ms at most), held %d windows, storms %d, returns %d; "
      "nexit stat polls: %d gated of %d" % (a["source_count"], a["relayed"], a["relay_per_window"],
      a["window_ms"], a["held_windows"], a["storms"], a["returns"], seen.count("gated"), len(seen)))
for w in bad:
    print("    FAIL: " + w)
sys.exit(1 if bad else 0)
PY
done

# Control: the guard off, the same storm goes straight to the guest.
run split "msi_budget=0"
python3 - "$(probe_json "$T/out")" "$T/s.json" <<'PY' || failed=1
import json, sys
j, s = json.loads(sys.argv[1]), json.load(open(sys.argv[2]))
a = [l for l in s["irq"]["lines"] if l["id"] == "cli0.msi0"][0]
ok = j["relayed_during"] == 0 and not j["contained"] and "guard" not in a and s["msi_relayed"] == 0
print("    guard off: relayed_during %d, contained %s, msi_relayed %d -> %s"
      % (j["relayed_during"], j["contained"], s["msi_relayed"], "as expected" if ok else "FAIL"))
sys.exit(0 if ok else 1)
PY
[ $failed = 0 ] || fail "exitless storm containment"
echo "PASS: msi_storm"
