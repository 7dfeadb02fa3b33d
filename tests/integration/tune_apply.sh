#!/bin/bash
# nexit tune: the dry run changes nothing and prints "what: current -> new";
# --apply on a copy of each fake sysroot changes the host files, and
# --undo restores every file byte for byte (cmp of every file, diff -r).
# test: needs=none
source "$(dirname "$0")/../lib.sh"
[ -x "$NEXIT" ] || fail "$NEXIT is not built"
F=tests/fixtures
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT

same_tree() {	# a b: same files, byte for byte
	diff -r "$1" "$2" >/dev/null || return 1
	(cd "$1" && find . -type f) | while read -r f; do
		cmp -s "$1/$f" "$2/$f" || { echo "differs: $f"; exit 1; }
	done
}

for h in intel amd arm64 nokvm; do
	for p in latency throughput appliance; do
		root=$T/$h-$p
		cp -a $F/sysroot-$h $root
		"$NEXIT" tune $p --sysroot $root >$T/dry.out 2>$T/dry.err ||
			fail "dry run $p on $h: $(cat $T/dry.err)"
		same_tree $F/sysroot-$h $root || fail "dry run $p changed sysroot-$h"
		grep -q 'dry run' $T/dry.out || fail "dry run output: $(cat $T/dry.out)"
		"$NEXIT" tune $p --apply --sysroot $root --undo-file $T/undo-$h-$p >$T/apply.out 2>$T/apply.err ||
			fail "apply $p on $h: $(cat $T/apply.err)"
		"$NEXIT" tune --undo $T/undo-$h-$p >$T/undo.out 2>$T/undo.err ||
			fail "undo $p on $h: $(cat $T/undo.err)"
		same_tree $F/sysroot-$h $root || fail "undo of $p on $h did not restore the tree"
	done
done

# What latency changes on the Intel host, and that the files really change.
root=$T/intel-check
cp -a $F/sysroot-intel $root
"$NEXIT" tune latency --sysroot $root >$T/dry.out || fail "dry run"
for l in 'cpu0 governor: powersave -> performance' 'hugepages 2M: 0 -> 512' \
	 'irq 140 affinity: 0-3 -> 2' 'irq 141 affinity: 0-3 -> 3' \
	 'irqbalance: running (pid 733) -> stopped' 'vCPU pinning: none -> 1:1: vCPU0@CPU2 vCPU1@CPU3'; do
	grep -qF "$l" $T/dry.out || fail "dry run lacks '$l': $(cat $T/dry.out)"
done
"$NEXIT" tune latency --apply --sysroot $root --undo-file $T/u >/dev/null || fail "apply"
[ "$(cat $root/sys/devices/system/cpu/cpu3/cpufreq/scaling_governor)" = performance ] || fail "governor not written"
[ "$(cat $root/proc/irq/141/smp_affinity_list)" = 3 ] || fail "irq affinity not written"
[ "$(cat $root/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages)" = 512 ] || fail "hugepages not written"
# Never overwrite an undo file: it is the way back.
"$NEXIT" tune appliance --apply --sysroot $root --undo-file $T/u >/dev/null 2>$T/e && fail "undo file overwritten"
grep -q '^nexit: error: .*undo file' $T/e || fail "second apply: $(cat $T/e)"
"$NEXIT" tune --undo $T/u >/dev/null || fail "undo"
same_tree $F/sysroot-intel $root || fail "undo after a refused second apply"

# Two profiles stacked, undone newest first, also restore the original.
root=$T/amd-stack
cp -a $F/sysroot-amd $root
"$NEXIT" tune throughput --apply --sysroot $root --undo-file $T/s1 >/dev/null || fail "stack 1"
"$NEXIT" tune appliance --apply --sysroot $root --undo-file $T/s2 >/dev/null || fail "stack 2"
"$NEXIT" tune --undo $T/s2 >/dev/null && "$NEXIT" tune --undo $T/s1 >/dev/null || fail "stack undo"
same_tree $F/sysroot-amd $root || fail "stacked undo did not restore the tree"

# Bad input.
echo garbage >$T/bad-undo
"$NEXIT" tune --undo $T/bad-undo >/dev/null 2>$T/e && fail "garbage undo file accepted"
grep -q '^nexit: error: .*not a nexit undo file' $T/e || fail "bad undo: $(cat $T/e)"
"$NEXIT" tune nosuchprofile >/dev/null 2>$T/e && fail "unknown profile accepted"
grep -q "^nexit: error: profile 'nosuchprofile' not found" $T/e || fail "unknown profile: $(cat $T/e)"
"$NEXIT" tune >/dev/null 2>$T/e && fail "no profile accepted"
echo "tune: apply + undo restored every tree byte for byte"
