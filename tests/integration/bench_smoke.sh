#!/bin/bash
# nexit bench --smoke: the harness runs every case with tiny counts and writes
# a complete results.json (it parses, every case is there, every row has a
# nexit and a qemu figure or a stated reason), report.md and plots.
# Benchmark figures are never asserted: this machine is shared and noisy.
# test: needs=kvm timeout=900
source "$(dirname "$0")/../lib.sh"
need_kvm
[ -x "$NEXIT" ] || skip "no $NEXIT (make)"
[ -s "$PROBE" ] || skip "no probe guest $PROBE (make probe)"
OUT=$(mktemp -d /tmp/nexit-bench-smoke.XXXXXX)
trap 'rm -rf "$OUT"' EXIT

timeout -k 5 300 "$NEXIT" bench --smoke --probe "$PROBE" --out "$OUT" || fail "nexit bench --smoke exited $?"
for f in results.json report.md; do [ -s "$OUT/$f" ] || fail "no $f"; done

python3 - "$OUT/results.json" <<'PY' || fail "results.json incomplete (see above)"
import json, sys
r = json.load(open(sys.argv[1]))
for k in ("kernel", "cpu", "kvm", "qemu", "date", "command", "mode"):
    assert k in r["host"], "host.%s missing" % k
assert r["host"]["mode"] == "smoke"
cases = {c["case"] for c in r["cases"]}
want = {"msi", "intx", "rate", "exits", "boot", "rss", "net"}
assert want <= cases, "cases missing: %s" % sorted(want - cases)
for c in r["cases"]:
    for k in ("case", "path", "metric", "nexit", "qemu", "ratio", "n"):
        assert k in c, "%s/%s: key %s missing" % (c.get("case"), c.get("metric"), k)
    for v in ("nexit", "qemu"):
        if c[v] is None:
            assert c.get(v + "_reason"), "%s/%s/%s: no %s figure and no reason" % (
                c["case"], c["path"], c["metric"], v)
        else:
            assert isinstance(c[v], (int, float))
    if c["nexit"] is not None and c["qemu"] not in (None, 0):
        assert c["ratio"] is not None, "%s/%s: both figures but no ratio" % (c["case"], c["metric"])
assert any(c["case"] == "msi" and c["metric"] == "vmm_exits_per_irq" for c in r["cases"])
assert isinstance(r.get("goals"), list)
print("results.json: %d rows, cases %s" % (len(r["cases"]), ",".join(sorted(cases))))
PY
grep -q '^## msi' "$OUT/report.md" || fail "report.md has no msi section"
if command -v gnuplot >/dev/null; then
	ls "$OUT"/plots/*.svg >/dev/null 2>&1 || fail "gnuplot is installed but no SVG plot was written"
	ls "$OUT"/plots/*.png >/dev/null 2>&1 || fail "gnuplot is installed but no PNG plot was written"
fi
echo "pass: bench --smoke wrote a complete results.json, report.md and plots"
