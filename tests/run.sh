#!/bin/bash
# Runs every test: cmocka units (plain and ASan+UBSan), then the integration
# and nested scripts. A script exits 0 = pass, 77 = skip (it prints why),
# anything else = fail. Ends with the plain "N passed, N failed" line.
cd "$(dirname "$0")/.."
pass=0; fail=0; skip=0; failed=()
LOG=build/test-logs; mkdir -p $LOG

run() {	# name, command...
	local name=$1; shift
	mkdir -p "$(dirname "$LOG/$name.log")"
	local t0=$(date +%s%N)
	"$@" >"$LOG/$name.log" 2>&1
	local rc=$? ms=$(( ($(date +%s%N) - t0) / 1000000 ))
	local dt=$((ms / 1000)).$((ms % 1000 / 100))
	case $rc in
	0) pass=$((pass+1)); echo "PASS  $name (${dt}s)";;
	77) skip=$((skip+1)); echo "SKIP  $name: $(tail -n1 "$LOG/$name.log")";;
	*) fail=$((fail+1)); failed+=("$name"); echo "FAIL  $name (rc=$rc, ${dt}s) - log: $LOG/$name.log"
	   tail -n 15 "$LOG/$name.log" | sed 's/^/      /';;
	esac
}

make --no-print-directory -s unit-bins asan-bins >/dev/null || { echo "build of tests failed"; exit 1; }

for t in build/tests/test_*; do run "unit/$(basename $t)" "$t"; done
for t in build/asan/tests/test_*; do run "asan/$(basename $t)" "$t"; done
for t in tests/integration/*.sh; do [ -e "$t" ] && run "integration/$(basename $t .sh)" bash "$t"; done
# Each libFuzzer harness a few seconds (make fuzz runs them longer).
for f in $(tests/fuzz/run.sh --list); do run "fuzz/$f" tests/fuzz/run.sh "${NEXIT_FUZZ_SECONDS:-5}" "$f"; done
if [ -z "$NEXIT_SKIP_NESTED" ]; then
	for t in tests/nested/test_*.sh; do [ -e "$t" ] && run "nested/$(basename $t .sh)" bash "$t"; done
fi

echo
[ $fail -gt 0 ] && echo "failed: ${failed[*]}"
echo "$pass passed, $fail failed, $skip skipped"
[ $fail -eq 0 ]
