#!/bin/bash
# Harness self-test fixture (tests/integration/harness_selftest.sh): an L2
# guest that never finishes: nexit stops it at its --timeout and reports
# each vCPU; the test keeps only nexit's last line (sandbox's blk case
# keeps three); tests/run.sh must run the test again and call the pass
# FLAKY. Fails on its first try only (NEXIT_SELFTEST_HANG_MARK, a file in a
# directory the host shares).
# test: needs=l1 timeout=120
source "$(dirname "$0")/../lib.sh"
[ "$NEXIT_WHERE" = L1 ] || fail "this fixture only makes sense in the L1 machine"
[ -n "${NEXIT_SELFTEST_HANG_MARK:-}" ] || fail "NEXIT_SELFTEST_HANG_MARK is not set"
[ -e "$NEXIT_SELFTEST_HANG_MARK" ] && { echo "second try: no hang"; exit 0; }
touch "$NEXIT_SELFTEST_HANG_MARK"; sync
# Only nexit's last line, as tests that print `tail` of its errors keep.
timeout -k 5 30 "$NEXIT" run --kernel "$PROBE" --no-defaults --timeout 2 \
	--cmdline "scenario=power-button ignore=1 wait_ms=30000" >/dev/null 2>"$NEXIT_SELFTEST_HANG_MARK.err"
fail "the guest did not finish (nexit exited $?): $(tail -n 1 "$NEXIT_SELFTEST_HANG_MARK.err")"
