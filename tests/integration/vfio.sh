#!/bin/bash
# VFIO: QEMU's edu devices behind the L1 machine's emulated VT-d (intel-iommu
# with interrupt remapping) are bound to vfio-pci and the first is assigned
# to the probe guest with --assign, under split and kernel irqchips: msi-latency with 0
# VMM exits in its window (the raw count from nexit's counter page: the
# VFIO MSI eventfd is the KVM irqfd), intx-latency through the fallback
# controller, eoi-gating on a LAPIC that keeps interrupts in service. The
# stats JSON lists the MSI line as exitless with vmm_exits null (nexit does
# not see those interrupts, so it counts no exits for them). Then both edus
# at once: each assigned device's BARs have their own KVM memslots (they
# used to share slot 2 + BAR: KVM refused the second device's BAR0 slot and
# its doorbell exited): msi-latency on the second sees 0 VMM exits. TCG
# emulates
# neither AVIC nor VT-d posted interrupts: L1's KVM injects in software; the
# wiring is what this proves.
# Storm containment of a VFIO vector (issue 15): the guest's CPU 1 makes the
# first edu raise its MSI as fast as it can (each write a real MSI of the
# device, counted by the host in /proc/interrupts, which nexit's guard reads);
# the guard must take the vector off the exitless path (storms >= 1, MSIs
# relayed by nexit), the second edu's MSIs keep being served, and after the
# back-off the vector is exitless again (0 VMM exits, 0 relayed); split and
# kernel irqchips.
# test: needs=l1 timeout=900
source "$(dirname "$0")/../lib.sh"
need_linux_kvm
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT

# bind N: the N-th edu handed to vfio-pci; prints its BDF.
bind() {
	local b
	b=$(sh tests/nested/l1-vfio-bind 1234:11e8 "$1") || fail "cannot bind edu $1 to vfio-pci: $b"
	echo "$b" >&2
	sed -n 's/.*bdf=\([^ ]*\) group=.*/\1/p' <<<"$b"
}
bdf=$(bind 1); bdf2=$(bind 2)
[ -n "$bdf" ] && [ -n "$bdf2" ] || fail "no edu BDFs"
# NEXIT_TEST_VFIO_ONLY=msi-storm runs only the storm containment of a VFIO
# MSI vector, NEXIT_TEST_VFIO_ROUNDS times (default 1) - an intermittent
# failure there is looked at without the other cases' time.
rounds=${NEXIT_TEST_VFIO_ROUNDS:-1}
if [ "${NEXIT_TEST_VFIO_ONLY:-}" != msi-storm ]; then

for chip in split kernel; do
	for scn in "msi-latency n=1000" "intx-latency n=200" "eoi-gating"; do
		timeout -k 10 150 "$NEXIT" run --irqchip $chip --assign "$bdf" --kernel "$PROBE" \
			--cmdline "scenario=$scn" --stats-json "$T/s.json" --timeout 120 >"$T/out" 2>"$T/err"
		rc=$?
		j=$(probe_json "$T/out")
		echo "[$chip] $scn -> rc=$rc $j" | cut -c1-400
		[ $rc = 0 ] || fail "[$chip] $scn: nexit exited $rc: $(tail -n3 "$T/err")"
		python3 - "$scn" "$j" "$T/s.json" <<'PY' || fail "[$chip] $scn: $j"
import json, sys
scn, j, s = sys.argv[1], json.loads(sys.argv[2]), json.load(open(sys.argv[3]))
assert j["result"] == "pass", "scenario failed"
if scn.startswith("msi-latency"):
    assert j["received"] == 1000, "received %s" % j["received"]
    assert j["vmm_exits"] == 0, "vmm_exits %s: the VFIO MSI path took VMM exits" % j["vmm_exits"]
    vf = [l for l in s["irq"]["lines"] if l.get("path") == "exitless"]
    assert vf, "no exitless line in the stats"
    for l in vf:
        assert l["vmm_exits"] is None, "VFIO line %s claims vmm_exits %s" % (l["id"], l["vmm_exits"])
if scn.startswith("intx-latency"):
    # Every delivery was EOI-gated.
    dev = [d for d in s["passthrough"]["devices"] if d["type"] == "vfio"][0]
    fb = [l for l in s["irq"]["lines"] if l.get("path") == "fallback" and l.get("gsi") == dev["intx_gsi"]]
    assert len(fb) == 1 and fb[0]["delivered"] >= j["received"] and fb[0]["eois"] == fb[0]["delivered"], fb
if scn.startswith("eoi-gating"):
    assert j["lapic_in_service"] is True, "L1's LAPIC keeps interrupts in service"
PY
	done
done
# The remaining QNX rule scenarios on both irqchips' VFIO INTx paths (split:
# KVM delivers the automasked VFIO fire through the pin's irqfd, the gate
# opens it on the EOI exit; kernel: a level held in KVM until the EOI, the gate
# opens it on the resample): masked until the guest unmasks its RTE, and
# masked at shutdown with the pending interrupt not replayed. On a LAPIC that
# holds interrupts in service (L1), nothing excused. (The direct-resample
# irqchip=kernel path of before issue 11 replayed the pending interrupt at
# shutdown-mask.)
for chip in split kernel; do for scn in mask-until-ready shutdown-mask; do
	timeout -k 10 150 "$NEXIT" run --irqchip $chip --assign "$bdf" --kernel "$PROBE" \
		--cmdline "scenario=$scn" --timeout 120 >"$T/out" 2>"$T/err"
	rc=$?
	j=$(probe_json "$T/out")
	echo "[$chip] $scn -> rc=$rc $j" | cut -c1-400
	[ $rc = 0 ] || fail "[$chip] $scn: nexit exited $rc: $(tail -n3 "$T/err")"
	python3 - "$scn" "$j" <<'PY' || fail "[$chip] $scn: $j"
import json, sys
scn, j = sys.argv[1], json.loads(sys.argv[2])
assert j["result"] == "pass" and j["lapic_checks"] == "enforced", "scenario failed or excused"
if scn == "mask-until-ready":
    assert j["while_masked"] == 0 and j["after_unmask"] == 1 and j["after_unmask_settled"] == 1
else:
    assert j["first"] == 1 and j["while_masked_after_eoi"] == 0 and j["replayed_after_unmask"] == 0
    assert j["fresh_after_unmask"] == 1
PY
done; done
# Two assigned devices: the second one's doorbell must not exit either.
timeout -k 10 150 "$NEXIT" run --assign "$bdf" --assign "$bdf2" --kernel "$PROBE" \
	--cmdline "scenario=msi-latency n=200 dev=1" --timeout 120 >"$T/out" 2>"$T/err"
rc=$?
j=$(probe_json "$T/out")
echo "[two edus] msi-latency -> rc=$rc $j" | cut -c1-400
[ $rc = 0 ] || fail "two edus: nexit exited $rc: $(tail -n3 "$T/err")"
python3 -c '
import json, sys
j = json.loads(sys.argv[1])
assert j["result"] == "pass" and j["received"] == 200, j
assert j["vmm_exits"] == 0, "vmm_exits %s with two assigned devices" % j["vmm_exits"]
' "$j" || fail "two edus: $j"
# Storm control on the split irqchip's in-kernel INTx path (VFIO's trigger
# eventfd is the irqfd of the pin's route, the gate sees only EOI exits):
# edu 1's INTx is raised and never acknowledged, so it fires again at every
# unmask; edu 2's MSIs are measured meanwhile. A budget of 5 per 10 ms must
# hold the line for back-offs (nexit's storms counter >= 1, the guest sees
# gaps) while every one of edu 2's interrupts is served; the line's
# interrupts were delivered by KVM (delivered_by_kvm). Without the gate's EOI accounting for
# such lines nothing throttled them.
timeout -k 10 150 "$NEXIT" run --irqchip split --kernel "$PROBE" 	--device "vfio,assign=$bdf,storm_budget=5,storm_window_ms=10,storm_backoff_ms=20" 	--assign "$bdf2" --cmdline "scenario=storm n=100 expect_throttle=1" 	--stats-json "$T/s.json" --timeout 120 >"$T/out" 2>"$T/err"
rc=$?
j=$(probe_json "$T/out")
echo "[split] storm on the VFIO INTx line -> rc=$rc $j" | cut -c1-500
[ $rc = 0 ] || fail "storm: nexit exited $rc: $(tail -n3 "$T/err")"
python3 - "$j" "$T/s.json" <<'PY' || fail "storm on the VFIO INTx line: $j"
import json, sys
j, s = json.loads(sys.argv[1]), json.load(open(sys.argv[2]))
assert j["result"] == "pass" and j["b_received"] == 100, j
fb = [l for l in s["irq"]["lines"] if l.get("path") == "fallback" and l.get("gsi") == j["gsi"]]
assert len(fb) == 1, s["irq"]["lines"]
print("line:", {k: fb[0][k] for k in ("delivered", "delivered_by_kvm", "eois", "storms", "vmm_exits")})
assert fb[0]["delivered_by_kvm"] >= 1, fb[0]
assert fb[0]["storms"] >= 1, "no storm counted"
PY
fi
# storm RUN_OPTS CHIP: msi-storm storm=raise with A's guard options.
storm() {
	timeout -k 10 150 "$NEXIT" run --irqchip "$2" --cpus 2 --device "vfio,assign=$bdf,$1" \
		--assign "$bdf2" --kernel "$PROBE" --stats-json "$T/s.json" --timeout 120 \
		--cmdline "scenario=msi-storm storm=raise storm_ms=1500 storm_gap_us=20 n=$sn quiet_ms=400 settle_ms=1500" \
		>"$T/out" 2>"$T/err"
}
# How many of the guest's edu MSIs L1 takes per 100 ms window is TCG's
# business: measured from under 10 to over 1000, in one run and between runs
# (the guard's recent_windows show each run's course). So the budget is not
# taken from an earlier run's peak (that made the kernel case fail whenever
# its storm stayed under the split run's half peak): it sits just above what
# a measured phase can bring (before, after: sn MSIs of A, all in one window
# at most), and the scenario counts relays up to the hammer's end
# (relayed_storm), not only in its first half second. The guest writes the
# raise register every 20 us, not back to back: L0's TCG takes its big lock
# for every device write, and a CPU writing back to back starved the L1 CPU
# that takes the edu's interrupts - the storm then reached L1 at ~12 host
# IRQs per window for its whole 1.5 s (3 of 16 runs, no guard can see that).
sn=20
budget=$((3 * sn))
# storm_case CHIP ROUND: one storm run and its checks; status 0 pass, 1 fail,
# 2 no storm on the host: L1 took no more of A's MSIs per window than the
# budget (seen 1 in 16 runs even with the paced writes: L1's CPU that takes
# them was starved, the second edu's MSIs took 9 ms then once). Such a run
# cannot show containment either way; everything else in it must hold.
storm_case() {
	local chip=$1 round=$2 rc j
	storm "msi_budget=$budget,msi_window_ms=100,msi_backoff_ms=300" "$chip"
	rc=$?
	j=$(probe_json "$T/out")
	echo "[$chip] msi-storm storm=raise (round $round) -> rc=$rc $(grep -a 'storm' "$T/err" | head -n2 | tr '\n' ' ')"
	echo "    $j"
	if [ -z "$j" ] || [ ! -s "$T/s.json" ]; then	# the guest's last lines and nexit's
		echo "    nexit exited $rc; the probe's last serial lines:"
		tail -n 5 "$T/out" | cut -c1-300 | sed 's/^/      /'
		sed 's/^/      /' "$T/err" | tail -n 12
		why="nexit exited $rc without a PROBE line or stats"
		return 1
	fi
	why=$(python3 - "$j" "$T/s.json" "$sn" "$rc" 3>&1 1>&2 <<'PY'
import json, os, sys
def failed(t, v, tb):	# the failed check, for the FAIL line (fd 3)
    os.write(3, ("%s: %s" % (t.__name__, v)).encode()[:300])
    sys.__excepthook__(t, v, tb)
sys.excepthook = failed
j, s, sn, rc = json.loads(sys.argv[1]), json.load(open(sys.argv[2])), int(sys.argv[3]), int(sys.argv[4])
lines = {l["id"]: l for l in s["irq"]["lines"] if l.get("path") == "exitless"}
a, b = lines["cli0.msi0"]["guard"], lines["assign1.msi0"]["guard"]
print("    A: peak %d per window, relayed %d in %d gated windows (at most %d each), held %d, storms %d, returns %d; B storms %d"
      % (a["peak_window"], a["relayed"], a["gated_windows"], a["relay_per_window"], a["held_windows"],
         a["storms"], a["returns"], b["storms"]))
print("    A's windows: " + " ".join("%d%s" % (n, "g" if g == "g" else "")
                                   for n, g in zip(a["recent_windows"], a["recent_gated"])))
assert a["source"] == "host-irq", a
assert j["before_vmm_exits"] == 0 and j["before_relayed"] == 0, "before"
assert j["b_received"] == sn, "B during the storm"
assert j["after_vmm_exits"] == 0 and j["after_relayed"] == 0, "after"
assert b["storms"] == 0 and b["relayed"] == 0, b
assert s["msi_relayed"] == a["relayed"], s["msi_relayed"]
if a["peak_window"] <= a["budget"]:
    assert a["storms"] == 0 and a["relayed"] == 0 and j["relayed_storm"] == 0, a
    print("    no storm on the host: L1 took at most %d of A's MSIs per window (budget %d)"
          % (a["peak_window"], a["budget"]))
    sys.exit(2)
assert rc == 0 and j["result"] == "pass", "nexit exited %d, scenario %s" % (rc, j["result"])
assert j["relayed_storm"] > 0, "storm not contained"
assert a["storms"] >= 1 and a["returns"] >= 1 and a["state"] == "exitless", a
# Contained: nexit relayed, and never more than its per-window bound.
assert 0 < a["relayed"] <= a["relay_per_window"] * a["gated_windows"], a
PY
)
}
bad=0 nostorm=0 again=0 whys=()
# Both irqchips: the VFIO MSI path is the same irqfd either way, the guard
# and the relay (KVM_SIGNAL_MSI) do not depend on who holds the IOAPIC. A
# run without a storm on the host is run again, at most twice (measured: 4
# of 35 runs had none, two in a row never); three in a row is a failure.
# A run that failed is run once more and reported with its failed check
# (the CI run of 95db9b1 failed one of its two runs; 28 runs here, quiet
# and with a CPU hog beside L1, all passed); failing twice fails the test.
for round in $(seq "$rounds"); do for chip in split kernel; do
	first=
	for try in 1 2; do
		storm_case $chip "$round${first:+, run again}"
		r=$?
		for n in 1 2; do
			[ $r = 2 ] || break
			nostorm=$((nostorm + 1))
			storm_case $chip "$round, no storm: again $n"
			r=$?
		done
		[ $r = 1 ] && [ -z "$first" ] || break
		first=${why:-a check failed}
		echo "    [$chip] round $round failed ($first); running it once more"
	done
	if [ $r != 0 ]; then
		echo "FAIL: [$chip] msi-storm (round $round): ${why:-a check failed}${first:+ (first run: $first)}"
		bad=$((bad + 1)); whys+=("[$chip] ${why:-a check failed}")
	elif [ -n "$first" ]; then
		again=$((again + 1)); whys+=("[$chip] round $round passed on its second run, the first failed: $first")
	fi
done; done
echo "msi-storm: $((2 * rounds - bad)) of $((2 * rounds)) passed; $nostorm run(s) without a storm on the host and $again failed run(s) were run again"
# A re-run is reported (tests/run.sh counts a RETRIED line as flaky).
[ $nostorm = 0 ] && [ $again = 0 ] ||
	echo "RETRIED: msi-storm: $nostorm run(s) without a storm on the host, $again failed run(s) run again${whys:+: ${whys[*]}}"
[ $bad = 0 ] || fail "msi-storm: $bad of $((2 * rounds)) failed: ${whys[*]}"
[ "${NEXIT_TEST_VFIO_ONLY:-}" != msi-storm ] || { echo "pass: a storming VFIO MSI vector contained (split and kernel, $rounds rounds)"; exit 0; }
echo "pass: msi-latency, intx-latency and eoi-gating on the VFIO-assigned edu under split and kernel; mask-until-ready and shutdown-mask under split and kernel; two edus at once; storm control on the in-kernel INTx path; a storming VFIO MSI vector contained (split and kernel)"
