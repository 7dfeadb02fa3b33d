#!/bin/bash
# Harness self-test fixture (tests/integration/harness_selftest.sh): fails
# after an L2 guest triple-faulted in L1 (a real one: tests/triple_fault_elf.py
# under nexit). tests/run.sh must run such a test again (at most twice) and keep the
# failed runs' logs with L1 KVM's traced SHUTDOWN exit. With NEXIT_SELFTEST_TF_MARK
# (a file in a directory the host shares) it fails only on its first try:
# the second run passes and is reported FLAKY.
# test: needs=l1 timeout=120
source "$(dirname "$0")/../lib.sh"
[ "$NEXIT_WHERE" = L1 ] || fail "this fixture only makes sense in the L1 machine"
if [ -n "${NEXIT_SELFTEST_TF_MARK:-}" ]; then
	[ -e "$NEXIT_SELFTEST_TF_MARK" ] && { echo "second try: no triple fault"; exit 0; }
	touch "$NEXIT_SELFTEST_TF_MARK"; sync
fi
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
python3 tests/triple_fault_elf.py "$T/triple.elf"
timeout -k 5 20 "$NEXIT" run --kernel "$T/triple.elf" --mem 64M --no-defaults --timeout 15 </dev/null
fail "the guest triple-faulted (nexit exited $?)"
