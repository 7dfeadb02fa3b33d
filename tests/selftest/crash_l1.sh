#!/bin/bash
# Harness self-test fixture (tests/integration/harness_selftest.sh): crashes
# the L1 kernel (sysrq c: a panic, and L1 runs with panic=-1 -no-reboot), as
# multi-threaded TCG's memory corruption was seen to. The host must boot L1
# again for the test and say that L1 crashed (not that it stalled). It
# crashes only on its first try (NEXIT_SELFTEST_CRASH_MARK, a file in a
# directory the host shares): the retry passes and is reported FLAKY.
# test: needs=l1 timeout=120
source "$(dirname "$0")/../lib.sh"
[ "$NEXIT_WHERE" = L1 ] || fail "this fixture only makes sense in the L1 machine"
[ -n "${NEXIT_SELFTEST_CRASH_MARK:-}" ] || fail "NEXIT_SELFTEST_CRASH_MARK is not set"
[ -e "$NEXIT_SELFTEST_CRASH_MARK" ] && { echo "second try: not crashing"; exit 0; }
touch "$NEXIT_SELFTEST_CRASH_MARK"; sync
echo "crashing L1"
echo 1 > /proc/sys/kernel/sysrq
echo c > /proc/sysrq-trigger
sleep 60
fail "L1 did not crash"
