#!/bin/bash
# Harness self-test fixture: a test that starts a long-lived child (as a
# test starts nexit-devd or QEMU) and is still running when tests/run.sh
# itself is stopped; the child's pid goes to $LINGER_PIDFILE. run.sh must
# kill the test's whole session on its way out.
# test: needs=none timeout=120
source "$(dirname "$0")/../lib.sh"
sleep 100 &
echo $! > "${LINGER_PIDFILE:?}"
wait
