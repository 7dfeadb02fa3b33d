#!/bin/bash
# The harness proves it cannot pass a hang (issue 10, sections 5 and 6): it
# runs tests/run.sh on the fixtures of tests/selftest and checks its
# verdicts, on this host and in the nested L1 machine:
#  - a nexit that never ends and ignores SIGTERM (NEXIT_DEBUG_HANG) under a
#    script with no bound of its own FAILS, with nexit's task state, on the
#    host and in L1 (the watchdog of tests/run.sh runs in both);
#  - an L1 machine that stops making progress (no heartbeat) or crashes is
#    booted again, and the report says which;
#    a second stall of the same test FAILS (never a skip), and a test that
#    passes on its retry is reported FLAKY; the nested/* tests' own boots
#    (nested_boot) are booted again when L1 stalls before their test;
#  - in L1, a test that failed after an L2 guest triple-faulted or hung
#    (nexit's report at its --timeout) runs again,
#    at most twice more: FLAKY if it then passes, FAIL if not, and the log of
#    each failed run has the SHUTDOWN exit L1's KVM traced;
#  - a test that asks for an L1 on one TCG thread (l1tcg=single) gets a boot
#    of its own with -accel tcg,thread=single;
#  - with CI=true a skip is a failure unless it is the posted-interrupt one;
#  - without KVM on the host (NEXIT_KVM_DEVICE naming a missing device) every
#    KVM test is placed in L1 and the fixture that needs KVM passes there;
#  - every integration test that runs nexit also runs with the ASan+UBSan
#    build.
# test: needs=none timeout=1200 asan=no
source "$(dirname "$0")/../lib.sh"
T=$(mktemp -d "$PWD/build/selftest.XXXXXX"); trap 'rm -rf "$T"' EXIT
bad=0
# expect FILE PATTERN WHAT: FILE (run.sh's output) has a line matching PATTERN.
expect() {
	if grep -qE -- "$2" "$1"; then echo "ok   $3"
	else echo "BAD  $3: no line like /$2/ in:"; sed 's/^/       /' "$1" | tail -n 25; bad=1; fi
}
# selftest NAME ENV... -- ARGS...: one tests/run.sh with its own log dir.
selftest() {
	local name=$1; shift
	local -a env=()
	while [ "$1" != -- ]; do env+=("$1"); shift; done; shift
	env NEXIT_TEST_LOG="$T/$name" "${env[@]}" tests/run.sh "$@" >"$T/$name.out" 2>&1
	echo $? > "$T/$name.rc"
}

# The plan: placements, the ASan pass, the forced no-KVM host.
tests/run.sh --list >"$T/plan" || fail "tests/run.sh --list failed"
NEXIT_KVM_DEVICE=/nonexistent tests/run.sh --list >"$T/plan-nokvm" || fail "--list without KVM failed"
for t in tests/integration/*.sh; do
	n=$(basename "$t" .sh)
	grep -q "^# test:.*asan=no" "$t" && continue
	grep -q "^asan/integration/$n " "$T/plan" || { echo "BAD  no ASan run of $n"; bad=1; }
	grep -q "^# test:.*needs=none" "$t" && continue
	grep -q "^integration/$n L1$" "$T/plan-nokvm" || { echo "BAD  $n not in L1 without KVM"; bad=1; }
	grep -q "^integration/$n host$" "$T/plan-nokvm" && { echo "BAD  $n on a host without KVM"; bad=1; }
done
[ $bad = 0 ] && echo "ok   plan: every KVM test in L1 without host KVM, every nexit test also under ASan"

# CI: only the posted-interrupt skip is allowed.
selftest ci CI=true -- --only selftest/skip_other selftest/skip_posted
expect "$T/ci.out" '^FAIL  selftest/skip_other \[host\] \(skipped in CI' "CI: another skip fails"
expect "$T/ci.out" '^SKIP  selftest/skip_posted \[host\]: posted interrupts' "CI: the posted-interrupt skip is a skip"
[ "$(cat "$T/ci.rc")" != 0 ] && echo "ok   CI: suite exit status $(cat "$T/ci.rc")" ||
	{ echo "BAD  CI: suite passed with a skip"; bad=1; }

# A harness that is stopped (timeout(1), ^C) ends the test it runs and
# everything that test started, and exits non-zero.
env NEXIT_TEST_LOG="$T/abort" LINGER_PIDFILE="$T/linger.pid" tests/run.sh --only selftest/linger \
	>"$T/abort.out" 2>&1 &
runner=$!
for _ in $(seq 600); do [ -s "$T/linger.pid" ] && break; sleep 0.1; done
kill -TERM $runner
for _ in $(seq 100); do kill -0 $runner 2>/dev/null || break; sleep 0.1; done
kill -0 $runner 2>/dev/null && { echo "BAD  abort: tests/run.sh still runs 10 s after SIGTERM"; bad=1; kill -KILL $runner; }
wait $runner; arc=$?
child=$(cat "$T/linger.pid" 2>/dev/null)
if [ -z "$child" ]; then echo "BAD  abort: the fixture never started"; bad=1
elif running "$child"; then echo "BAD  abort: the test's child $child outlived the harness"; bad=1; kill "$child"
elif [ $arc = 0 ]; then echo "BAD  abort: a stopped harness exited 0"; bad=1
else echo "ok   abort: a stopped harness (exit $arc) leaves nothing of its test running"; fi

# A hung nexit on this host.
selftest host NEXIT_TEST_LIMIT=8 NEXIT_SELFTEST_PIDFILE="$T/hang.pid" -- --only selftest/hang_nexit --where host
expect "$T/host.out" '^FAIL  selftest/hang_nexit \[host\] .*hung: killed by the watchdog after 8 s, nexit still running' \
	"host: a hung nexit fails the suite"
expect "$T/host.out" '^0 passed, 1 failed, 0 skipped$' "host: summary 0 passed, 1 failed"
grep -q 'comm=nexit state=' "$T/host/selftest/hang_nexit.log" && echo "ok   host: nexit's task state in the log" ||
	{ echo "BAD  host: no task state of nexit in the log"; bad=1; }
[ "$(cat "$T/host.rc")" != 0 ] || { echo "BAD  host: exit status 0"; bad=1; }
hung=$(cat "$T/hang.pid" 2>/dev/null)
if [ -z "$hung" ]; then echo "BAD  host: the fixture never started nexit"; bad=1
elif running "$hung"; then
	echo "BAD  host: the hung nexit (pid $hung) outlived the watchdog"; bad=1; kill -KILL "$hung"
else echo "ok   host: the watchdog killed the hung nexit"; fi

# In L1, on a host without KVM: a passing KVM test, a hung nexit, a stalled L1.
selftest l1 NEXIT_KVM_DEVICE=/nonexistent NEXIT_TEST_LIMIT=20 L1_STALL=15 -- \
	--only selftest/pass selftest/hang_nexit selftest/triple_l1 selftest/stall_l1 selftest/single_l1
expect "$T/l1.out" '^PASS  selftest/pass \[L1\]' "no KVM on the host: the KVM test passes in L1"
expect "$T/l1.out" '^FAIL  selftest/hang_nexit \[L1\] .*hung: killed by the watchdog after 20 s, nexit still running' \
	"L1: a hung nexit fails the suite"
expect "$T/l1.out" 'L1 machine failed \(stall\) during selftest/stall_l1' "L1: a stall is seen and L1 booted again"
expect "$T/l1.out" '^FAIL  selftest/stall_l1 \[L1\] \(the L1 machine failed twice while it ran: stall' \
	"L1: a second stall fails (no skip)"
expect "$T/l1.out" '^FAIL  selftest/triple_l1 \[L1\] \(rc=1' "L1: a test that fails again after an L2 triple fault fails"
expect "$T/l1/L1/selftest/triple_l1.log.try1" '^L1 KVM: SHUTDOWN exit: .*rip 0x10001' \
	"L1: the first run's log has L1 KVM's SHUTDOWN exit (the guest's int3 rip)"
expect "$T/l1/L1/selftest/triple_l1.log.try2" '^L1 KVM: SHUTDOWN exit: .*rip 0x10001' \
	"L1: so has the second run's, and a third run ends it"
expect "$T/l1.out" '^----  L1 boot [0-9]*: 1 tests in the nested machine \(tools/l1.sh, -accel tcg,thread=single;' \
	"L1: the l1tcg=single test in a boot of its own on one TCG thread"
expect "$T/l1.out" '^PASS  selftest/single_l1 \[L1\]' "L1: ... which it sees (NEXIT_L1_ACCEL)"
expect "$T/l1.out" '^2 passed, 3 failed, 0 skipped$' "L1: summary 2 passed, 3 failed"
[ "$(cat "$T/l1.rc")" != 0 ] || { echo "BAD  L1: exit status 0"; bad=1; }

# A stall on the first try only: FLAKY, and the suite passes.
mkdir -p "$T/flaky/L1"
# A test that failed after an L2 triple fault in L1 and passes when run once
# more: FLAKY too.
selftest flaky NEXIT_SELFTEST_MARK="$T/flaky/L1/stalled-once" NEXIT_SELFTEST_TF_MARK="$T/flaky/L1/tf-once" \
	NEXIT_SELFTEST_TFQ_MARK="$T/flaky/L1/tfq-once" NEXIT_SELFTEST_CRASH_MARK="$T/flaky/L1/crash-once" \
	NEXIT_SELFTEST_HANG_MARK="$T/flaky/L1/hang-once" \
	L1_STALL=15 -- --only selftest/triple_l1 selftest/stall_l1 selftest/triple_quiet_l1 selftest/crash_l1 selftest/hang_l2
expect "$T/flaky.out" '^PASS  selftest/stall_l1 \[L1\] .* FLAKY \(passed after an L1 stall\)' "flaky: retried and reported"
expect "$T/flaky.out" '^PASS  selftest/triple_l1 \[L1\] .* FLAKY \(retried: an L2 guest triple-faulted' \
	"flaky: a triple-fault retry reported"
expect "$T/flaky.out" '^flaky: selftest/stall_l1' "flaky: in the summary"
expect "$T/flaky.out" '^flaky: selftest/triple_l1' "flaky: the triple-fault retry in the summary"
expect "$T/flaky.out" '^PASS  selftest/triple_quiet_l1 \[L1\] .* FLAKY \(retried: an L2 guest triple-faulted' \
	"flaky: a triple fault only L1's KVM saw (nexit's output thrown away) is retried too"
expect "$T/flaky.out" '^PASS  selftest/crash_l1 \[L1\] .* FLAKY \(passed after an L1 crash\)' \
	"flaky: an L1 that crashed is booted again and said to have crashed"
expect "$T/flaky.out" '^PASS  selftest/hang_l2 \[L1\] .* FLAKY \(retried: an L2 guest hung' \
	"flaky: a test that failed after an L2 guest hung (nexit's --timeout report) is retried"
expect "$T/flaky/L1/selftest/hang_l2.log.try1" 'nexit: guest stopped: timeout \(exit status 124\)' \
	"flaky: the hung run's log has nexit's last line (its report of the vCPU before it)"
expect "$T/flaky/L1/hang-once.err" 'nexit: error: at the timeout vCPU 0 was ' \
	"flaky: nexit reported the vCPU"
# The five fixtures, plus any boot of L1 that really stalled before its
# command started here (each one reported as a RETRIED line, counted too).
boots=$(grep -c '^----  L1 boot [0-9]* RETRIED: ' "$T/flaky.out")
[ "$boots" = 0 ] || echo "note: $boots real L1 boot stall(s) in the flaky run, each counted as flaky"
expect "$T/flaky.out" "^summary: .* $((5 + boots)) flaky" "flaky: counted"
[ "$(cat "$T/flaky.rc")" = 0 ] || { echo "BAD  flaky: exit status $(cat "$T/flaky.rc")"; bad=1; }

# An L1 that stalls while booting, before the command started, is booted
# once more by tools/l1.sh; the retry is reported and counted as flaky.
selftest bootstall L1_DEBUG_BOOT_STALL=1 L1_STALL=15 -- --only selftest/pass --where L1
expect "$T/bootstall.out" '^----  L1 boot 1 RETRIED: L1 stalled before its command started' "boot stall: booted again, reported"
expect "$T/bootstall.out" '^PASS  selftest/pass \[L1\]' "boot stall: the test ran on the second boot"
expect "$T/bootstall.out" '^summary: .* 1 flaky' "boot stall: counted as flaky"
[ "$(cat "$T/bootstall.rc")" = 0 ] || { echo "BAD  boot stall: exit status $(cat "$T/bootstall.rc")"; bad=1; }

# The same for the initramfs-mode boots of the nested/* tests (nested_boot).
selftest nestedstall NESTED_DEBUG_BOOT_STALL=1 NESTED_START_S=15 -- --only selftest/stall_nested
expect "$T/nestedstall.out" '^PASS  selftest/stall_nested \[host\] .*FLAKY' "nested boot stall: booted again, the test ran"
expect "$T/nestedstall.out" '^flaky: selftest/stall_nested: L1 stalled before its test started' "nested boot stall: reported"
expect "$T/nestedstall.out" '^summary: .* 1 flaky' "nested boot stall: counted as flaky"
[ "$(cat "$T/nestedstall.rc")" = 0 ] || { echo "BAD  nested boot stall: exit status $(cat "$T/nestedstall.rc")"; bad=1; }

[ $bad = 0 ] || fail "the harness let something through (above)"
echo "pass: hangs and stalls fail the suite on the host and in L1; flaky retries are reported"
