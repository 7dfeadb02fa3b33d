#!/bin/bash
# Harness self-test fixture (tests/integration/harness_selftest.sh): a test
# that asks for an L1 on one TCG thread (l1tcg=single) runs in a boot of its
# own, which tests/run.sh names in its "L1 boot" line and hands to L1 as
# NEXIT_L1_ACCEL.
# test: needs=l1 l1tcg=single timeout=60
source "$(dirname "$0")/../lib.sh"
[ "$NEXIT_WHERE" = L1 ] || fail "this fixture only makes sense in the L1 machine"
[ "${NEXIT_L1_ACCEL:-}" = tcg,thread=single ] || fail "L1 runs with -accel ${NEXIT_L1_ACCEL:-?}, not tcg,thread=single"
echo "pass: in an L1 on one TCG thread"
