#!/bin/bash
# Harness self-test fixture (tests/integration/harness_selftest.sh): stops
# the whole L1 machine making progress, the way the TCG machine was seen to
# stall: real-time spinners on every CPU with RT throttling off, so nothing
# else (L1's heartbeat included) runs again. The host must notice the lost
# heartbeat, boot L1 again for the test, and report a second stall as a
# failure. With NEXIT_SELFTEST_MARK (a file in a directory the host shares)
# it stalls only on its first try: the retry passes and is reported FLAKY.
# test: needs=l1 timeout=600
source "$(dirname "$0")/../lib.sh"
[ "$NEXIT_WHERE" = L1 ] || fail "this fixture only makes sense in the L1 machine"
if [ -n "${NEXIT_SELFTEST_MARK:-}" ]; then
	[ -e "$NEXIT_SELFTEST_MARK" ] && { echo "second try: not stalling"; exit 0; }
	touch "$NEXIT_SELFTEST_MARK"; sync
fi
echo "stalling L1"
echo -1 > /proc/sys/kernel/sched_rt_runtime_us
for c in $(seq 0 $(( $(nproc) - 1 ))); do
	taskset -c "$c" chrt -f 99 sh -c 'while :; do :; done' &
done
sleep 600
