#!/bin/bash
# Harness self-test fixture (tests/integration/harness_selftest.sh): a KVM
# test that passes wherever tests/run.sh places it (hello on the probe).
# test: needs=kvm timeout=120
source "$(dirname "$0")/../lib.sh"
need_kvm
timeout -k 5 60 "$NEXIT" run --kernel "$PROBE" --cmdline "scenario=hello" --timeout 50 >/tmp/selftest-pass.$$ 2>&1
rc=$?
grep -a '^PROBE ' /tmp/selftest-pass.$$; rm -f /tmp/selftest-pass.$$
[ $rc = 0 ] || fail "hello: nexit exited $rc"
echo "pass on $NEXIT_WHERE ($(kvm_kind))"
