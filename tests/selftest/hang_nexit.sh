#!/bin/bash
# Harness self-test fixture (run by tests/integration/harness_selftest.sh,
# never by the suite itself): a nexit that never ends and is deaf to SIGTERM
# (NEXIT_DEBUG_HANG, cli/run.c), under a script with no bound of its own.
# tests/run.sh's watchdog must report it as a failure with nexit's task
# state and end it, on the host and in L1.
# test: needs=kvm timeout=20
source "$(dirname "$0")/../lib.sh"
NEXIT_DEBUG_HANG=1 "$NEXIT" run --kernel "$PROBE" --timeout 2 &
# NEXIT_SELFTEST_PIDFILE: where the self-test looks for a nexit that outlived the watchdog.
[ -n "${NEXIT_SELFTEST_PIDFILE:-}" ] && echo $! > "$NEXIT_SELFTEST_PIDFILE"
wait $!
echo "nexit came back: the hang did not happen"
