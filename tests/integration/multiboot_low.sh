#!/bin/bash
# Multiboot kernels with segments below 1 MiB, and the command line they
# get: tests/fixtures/multiboot-low/kernel.S loads one segment over
# [0, 0x20008), where nexit's boot GDT, multiboot info and command line used
# to live. nexit must leave its image intact (markers at each of those
# places), enter it with a GDT that is still there (it reloads every segment
# register), and hand it a command line that starts with the kernel's path,
# as GRUB and QEMU do. The kernel reports on COM1 and exits with
# isa-debug-exit 0x10 (status 33); anything else is a failure.
# test: needs=kvm
source "$(dirname "$0")/../lib.sh"
need_kvm
[ -x "$NEXIT" ] || fail "$NEXIT is not built"
command -v as >/dev/null && command -v ld >/dev/null || skip "no GNU as/ld (apt-get install binutils)"
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
K=$T/lowseg.elf
as --32 -o "$T/k.o" tests/fixtures/multiboot-low/kernel.S &&
	ld -m elf_i386 -z max-page-size=0x1000 --no-warn-rwx-segments \
		-T tests/fixtures/multiboot-low/kernel.ld -o "$K" "$T/k.o" ||
	fail "cannot build the test kernel"

for chip in split kernel; do
	out=$(timeout -k 5 30 "$NEXIT" run --kernel "$K" --mem 64M --no-defaults --irqchip $chip \
		--timeout 25 --cmdline "alpha beta=2" 2>&1 </dev/null)
	rc=$?
	echo "$out" | sed "s/^/$chip| /"
	[ $rc -eq 33 ] || fail "$chip: nexit exited $rc, the kernel's pass is 33"
	grep -qx "LOWSEG ok cmdline=$K alpha beta=2" <<<"$(tr -d '\r' <<<"$out")" ||
		fail "$chip: the command line is not '$K alpha beta=2'"
done
# No arguments: the command line is the path alone.
out=$(timeout -k 5 30 "$NEXIT" run --kernel "$K" --mem 64M --no-defaults --timeout 25 2>&1 </dev/null)
rc=$?
[ $rc -eq 33 ] && grep -qx "LOWSEG ok cmdline=$K" <<<"$(tr -d '\r' <<<"$out")" ||
	fail "no arguments: rc=$rc, $out"
echo "pass: a multiboot kernel at [0, 0x20008) ran intact and got '<path> <args>'"
