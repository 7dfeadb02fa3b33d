#!/bin/bash
# The probe guest's hello scenario on nexit with 1 and 2 vCPUs: the PROBE line
# must report every vCPU started ("cpus":N), the RAM given (mem_mb), pass, and
# nexit must exit 0 (the probe powers off through ACPI S5 on pass).
# test: needs=kvm
. "$(dirname "$0")/../lib.sh"
need_kvm
[ -x "$NEXIT" ] || fail "$NEXIT is not built"
[ -s "$PROBE" ] || fail "$PROBE is not built"
out=$(mktemp); trap 'rm -f "$out"' EXIT

for n in 1 2; do
	timeout -k 5 60 "$NEXIT" run --kernel "$PROBE" --cmdline "scenario=hello" --cpus $n --mem 256M --timeout 50 \
		>"$out" 2>&1
	rc=$?
	cat "$out"
	json=$(probe_json "$out")
	[ -n "$json" ] || fail "--cpus $n: no PROBE line"
	python3 - "$json" "$n" <<'PY' || fail "--cpus $n: unexpected PROBE line"
import json, sys
j = json.loads(sys.argv[1]); n = int(sys.argv[2])
assert j["scenario"] == "hello", j
assert j["cpus"] == n, "cpus %s != %d" % (j["cpus"], n)
assert j["mem_mb"] == 256, "mem_mb %s" % j["mem_mb"]
assert j["result"] == "pass", j
PY
	[ $rc -eq 0 ] || fail "--cpus $n: nexit exited $rc, expected 0"
	echo "ok: --cpus $n"
done
