#!/bin/bash
# Harness self-test fixture (tests/integration/harness_selftest.sh): like
# triple_l1.sh, but nexit's own output is thrown away, as tests that keep
# only their verdict do: tests/run.sh must see the triple fault in the
# SHUTDOWN exit L1's KVM traced and run the test again. Fails on its first
# try only (NEXIT_SELFTEST_TFQ_MARK, a file in a directory the host shares).
# test: needs=l1 timeout=120
source "$(dirname "$0")/../lib.sh"
[ "$NEXIT_WHERE" = L1 ] || fail "this fixture only makes sense in the L1 machine"
[ -n "${NEXIT_SELFTEST_TFQ_MARK:-}" ] || fail "NEXIT_SELFTEST_TFQ_MARK is not set"
[ -e "$NEXIT_SELFTEST_TFQ_MARK" ] && { echo "second try: no triple fault"; exit 0; }
touch "$NEXIT_SELFTEST_TFQ_MARK"; sync
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
python3 tests/triple_fault_elf.py "$T/triple.elf"
timeout -k 5 20 "$NEXIT" run --kernel "$T/triple.elf" --mem 64M --no-defaults --timeout 15 </dev/null >/dev/null 2>&1
fail "the guest stopped (nexit exited $?)"
