#!/bin/bash
# Harness self-test fixture (tests/integration/harness_selftest.sh): an
# initramfs-mode L1 boot (tests/nested/lib.sh nested_boot, as the nested/*
# tests use) that stalls before its test starts, as multi-threaded TCG does
# in the kernel's text patching: with NESTED_DEBUG_BOOT_STALL=1 the first
# boot never starts the test; nested_boot must boot L1 again, say so on a
# RETRIED line (tests/run.sh counts the test as flaky), and the second boot
# runs the test.
# test: needs=none timeout=400
source "$(dirname "$0")/../nested/lib.sh"
nested_need_tools
NESTED_BUILD=build/nested-selftest
mkdir -p "$NESTED_BUILD"
echo 'echo NESTED-SELFTEST-RAN' > "$NESTED_BUILD/test.sh"
NESTED_MODULES=kvm-amd
nested_initramfs "$NESTED_BUILD/l1.cpio" "$NESTED_BUILD/test.sh" || fail "cannot build the L1 initramfs"
nested_boot "$NESTED_BUILD/l1.cpio" "$NESTED_BUILD/l1.log" 200
rc=$?
echo "L1: QEMU status $rc, ${NESTED_BOOT_MS} ms (log $NESTED_BUILD/l1.log)"
grep -aq '^NESTED-SELFTEST-RAN' "$NESTED_BUILD/l1.log" || fail "the test never ran in L1"
[ "$(nested_rc "$NESTED_BUILD/l1.log")" = 0 ] || fail "the test's status in L1 is not 0"
echo "pass: the test ran in L1"
