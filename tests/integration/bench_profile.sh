#!/bin/bash
# nexit bench --profile (issue 15 item 5), smoke-sized, in the nested L1
# machine (it changes the host's settings, and L1 is a throw-away host): the
# latency profile's every latency and rate case ran without and with the
# profile (a "with" run takes reserved huge pages, so the host half was
# applied), profile.json carries both figures for every metric, and the
# host's settings are back as they were once the bench is over (every apply
# undone). A --profile that names no profile is one error line and exit 2.
# test: needs=l1 timeout=900 asan=no
source "$(dirname "$0")/../lib.sh"
need_kvm
[ -x "$NEXIT" ] && [ -f "$PROBE" ] || fail "build/nexit or probe.elf missing (run make)"
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT

out=$("$NEXIT" bench --profile no-such-profile --smoke --out "$T/x" 2>&1); rc=$?
[ $rc = 2 ] && [ "$(grep -c 'nexit: error:' <<<"$out")" = 1 ] ||
	fail "unknown profile: exit $rc, output: $out"

knobs() {
	for f in /sys/module/kvm/parameters/halt_poll_ns \
		 /sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages \
		 /sys/kernel/mm/transparent_hugepage/enabled; do
		echo "$f=$(cat "$f" 2>/dev/null)"
	done
}
knobs >"$T/before"
timeout -k 10 800 "$NEXIT" bench --profile latency --smoke --out "$T/b" >"$T/log" 2>&1
rc=$?
knobs >"$T/after"
tail -n 3 "$T/log"
[ $rc = 0 ] || { grep -a 'failed' "$T/log" | head -n 5; fail "bench --profile exited $rc"; }
diff "$T/before" "$T/after" || fail "the host's settings changed across the bench (an apply not undone)"
grep -q -- '--profile' "$T"/b/runs/profile-profile-msi-raise-r0.log ||
	fail "the 'with' run did not get --profile"
python3 - "$T/b/profile.json" <<'PY' || fail "profile.json"
import json, sys
d = json.load(open(sys.argv[1]))
rows = [r for r in d["rows"] if r["variant"] == "profile"]
want = {("msi", "raise"), ("msi", "completion"), ("intx", "split"), ("intx", "kernel"),
        ("rate", "msi"), ("rate", "intx-split")}
got = {(r["case"], r["path"]) for r in rows}
bad = [r for r in rows if not (isinstance(r["with"], float) and isinstance(r["without"], float))]
print("profile %s in %s: %d rows, worse: %d; p99 with/without: %s" % (d["profile"], d["where"],
      len(rows), d["profile_worse"], ", ".join("%s %s %.2f" % (r["case"], r["path"], r["ratios"][0])
      for r in rows if r["metric"] == "p99_ns" and r["ratios"])))
if got != want or bad:
    print("FAIL: cases %s, rows without figures: %s" % (sorted(want - got), bad[:2]))
    sys.exit(1)
PY
# --knobs: only the knobs named, each alone. A host knob that changes
# nothing here (L1 has no cpufreq: governor) is said to be so after its
# first run instead of measured; a VM knob (mlock) is measured; the whole
# profile is not run. A name the profile lacks is one error line, exit 2.
out=$("$NEXIT" bench --profile latency --smoke --knobs vm.no_such --out "$T/y" 2>&1); rc=$?
[ $rc = 2 ] && [ "$(grep -c 'nexit: error:' <<<"$out")" = 1 ] ||
	fail "--knobs vm.no_such: exit $rc, output: $out"
timeout -k 10 600 "$NEXIT" bench --profile latency --smoke --knobs host.governor,vm.mlock \
	--out "$T/k" >"$T/klog" 2>&1 || { tail -n 5 "$T/klog"; fail "bench --knobs exited $?"; }
knobs >"$T/after2"
diff "$T/before" "$T/after2" || fail "the host's settings changed across the --knobs bench"
python3 - "$T/k/profile.json" <<'PY' || fail "profile.json of --knobs"
import json, sys
d = json.load(open(sys.argv[1]))
by = {}
for r in d["rows"]:
    by.setdefault(r["variant"], []).append(r)
print({v: sorted({r["verdict"] for r in rows}) for v, rows in by.items()})
assert set(by) == {"host.governor", "vm.mlock"}, sorted(by)
assert all(r["verdict"].startswith("no host change here") for r in by["host.governor"]), by["host.governor"]
assert all(r["host_changes"] == 0 for r in by["host.governor"]), by["host.governor"]
assert any(isinstance(r["with"], float) and isinstance(r["without"], float) for r in by["vm.mlock"])
PY
echo "PASS: bench --profile, --knobs"
