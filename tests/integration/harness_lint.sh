#!/bin/bash
# Every wait on nexit in the test scripts is bounded twice over: `timeout`
# with -k (a nexit deaf to SIGTERM once hung the L1 machine) and nexit's own
# --timeout; the scripts use $NEXIT_DEVD so the ASan pass swaps both
# binaries (tests/harness/lint.py). The lint itself is checked on a bad
# script first.
# test: needs=none asan=no
source "$(dirname "$0")/../lib.sh"
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
cat > "$T/bad.sh" <<'BAD'
timeout 30 "$NEXIT" run --kernel x \
	--cmdline y
build/nexit-devd --socket s
BAD
out=$(python3 tests/harness/lint.py "$T/bad.sh") && fail "the lint passed a bad script"
[ "$(wc -l <<<"$out")" = 3 ] || fail "the lint should find 3 problems: $out"
python3 tests/harness/lint.py $(ls tests/integration/*.sh | grep -v harness_lint.sh) tests/lib.sh \
	tests/probe_cases.sh tests/nested/test_*.sh tests/soak.sh ||
	fail "unbounded waits on nexit (above)"
echo "pass: every timeout has -k, every nexit run has --timeout"
