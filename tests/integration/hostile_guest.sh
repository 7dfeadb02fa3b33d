#!/bin/bash
# A hostile guest (issue 12): the probe's `hostile` scenario writes pseudo-
# random values over every window nexit gives it (config space of every
# slot, the BARs with their MSI-X tables, IOAPIC, 8259, UART, PM1a, the
# counter page, any port) and starts device work with absurd arguments,
# then powers off. With the ASan + UBSan build (and its sandbox on), three
# seeds under both irqchips, on two irqdevs, a virtio-blk and a virtio-net
# (a vhost-user backend that answers): nexit must answer `nexit stat`
# during the run, exit 0 on the guest's power-off, report no sanitizer
# error, and keep its warnings bounded.
# test: needs=kvm asan=no l1tcg=single
source "$(dirname "$0")/../lib.sh"
need_kvm
NEXIT=${NEXIT_HOSTILE:-build/asan/nexit}
[ -n "${NEXIT_HOSTILE:-}" ] || make -s asan-bins >/dev/null || fail "cannot build the ASan nexit"
[ -f "$PROBE" ] || fail "$PROBE is not built"
T=$(mktemp -d)
FAKE=; VMM=
cleanup() { [ -n "$FAKE" ] && kill -9 $FAKE 2>/dev/null; [ -n "$VMM" ] && kill -9 $VMM 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT
truncate -s 4M "$T/disk.img"
SEEDS=${HOSTILE_SEEDS:-1 2 3}
runs=0
for seed in $SEEDS; do
	for chip in split kernel; do
		python3 tests/fake_vhost_user.py "$T/v.sock" good 2>/dev/null &
		FAKE=$!
		for i in $(seq 100); do [ -S "$T/v.sock" ] && break; sleep 0.05; done
		timeout -k 5 150 "$NEXIT" run --kernel "$PROBE" --irqchip $chip --device irqdev --device irqdev \
			--device "virtio-blk,path=$T/disk.img" --device "virtio-net,backend=$T/v.sock" \
			--cmdline "scenario=hostile seed=$seed hold_ms=1500" --control "$T/ctl" \
			--timeout 120 >"$T/out" 2>"$T/err" &
		VMM=$!
		answered=0 slow=0
		while kill -0 $VMM 2>/dev/null; do
			timeout -k 5 2 "$NEXIT" stat "$T/ctl" >/dev/null 2>&1
			case $? in
			0) answered=$((answered + 1));;
			124) slow=$((slow + 1));;	# no answer in 2 s (not: nexit gone)
			esac
			sleep 0.2
		done
		wait $VMM; rc=$?; VMM=
		kill -9 $FAKE 2>/dev/null; wait $FAKE 2>/dev/null; FAKE=
		rm -f "$T/ctl"
		j=$(probe_json "$T/out")
		warn=$(grep -c 'nexit: warning\|nexit: error' "$T/err")
		echo "seed $seed $chip: rc=$rc, nexit stat answered $answered times ($slow did not), $warn warning lines; $j"
		[ $rc -eq 0 ] || fail "seed $seed $chip: nexit exited $rc: $(grep -v '^nexit: \(irqdev\|virtio\)' "$T/err" | tail -n 5)"
		echo "$j" | grep -q '"result":"pass"' || fail "seed $seed $chip: no passing PROBE line"
		grep -q 'AddressSanitizer\|runtime error\|LeakSanitizer' "$T/err" &&
			fail "seed $seed $chip: sanitizer report: $(grep -m3 'ERROR\|runtime error' "$T/err")"
		[ $answered -ge 1 ] && [ $slow -eq 0 ] || fail "seed $seed $chip: control socket did not answer ($answered answered, $slow timed out)"
		[ $warn -le 200 ] || fail "seed $seed $chip: $warn warning lines: guest-triggered reports are not bounded"
		runs=$((runs + 1))
	done
done
echo "pass: $runs hostile runs (seeds $SEEDS, split and kernel, ASan+UBSan): nexit answered throughout and exited on the guest's power-off"
