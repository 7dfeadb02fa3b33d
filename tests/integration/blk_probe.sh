#!/bin/bash
# blk_probe: nexit's virtio-blk driven by the probe's `blk` scenario on this
# host's /dev/kvm. Checks that every disk request costs 0 VMM exits (the
# counter page around the window, and the device's own data_path_exits),
# that data written reaches the image and reads back, that flush works,
# that the chains a hostile driver writes are answered (never followed) and
# a broken ring asks for a reset while the VM goes on, read-only disks,
# image locking, the bad-input errors, and that the same probe driver runs
# under QEMU's virtio-blk-pci.
# test: needs=kvm
source "$(dirname "$0")/../lib.sh"
need_kvm
[ -x "$NEXIT" ] && [ -f "$PROBE" ] || skip "build nexit and the probe first (make)"

T=$(mktemp -d /tmp/nexit-blk.XXXXXX)
LOCK=""
cleanup() { [ -n "$LOCK" ] && kill "$LOCK" 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT
IMG=$T/disk.img
truncate -s 16M "$IMG"

run() {	# name, device options, cmdline
	timeout -k 5 60 "$NEXIT" run --kernel "$PROBE" --mem 256M --no-defaults --timeout 50 \
		--device "virtio-blk,path=$IMG$2" --cmdline "scenario=blk $3" \
		--stats-json "$T/$1.json" >"$T/$1.out" 2>"$T/$1.err"
}

run rw ",serial=NXDISK" "n=200 hostile=1"; rc=$?
j=$(probe_json "$T/rw.out")
echo "rw: $j"
[ $rc = 0 ] || fail "nexit exited $rc: ${j:-$(tail -n3 "$T/rw.err")}"
python3 - "$j" "$T/rw.json" "$IMG" <<'PY' || fail "read/write run: $j"
import json, sys
p, s = json.loads(sys.argv[1]), json.load(open(sys.argv[2]))
assert p["result"] == "pass", "probe result"
assert p["requests"] == 206 and p["writes"] == 100 and p["reads"] == 100 and p["flushes"] == 6, "counts"
assert p["mismatches"] == 0 and p["irqs"] >= p["requests"], "data or interrupts"
assert p["vmm_exits"] == 0, "VMM exits in the request window: %s" % p["vmm_exits"]
assert p["serial"] == "NXDISK", "GET_ID"
d = [x for x in s["passthrough"]["devices"] if x["type"] == "virtio-blk"][0]
assert d["data_path_exits"] == 0 and d["notify_exits"] == 0, "data path exits"
assert d["requests"] >= 206 and d["writes"] == 100 and d["flushes"] == 6, "device counters"
# Hostile part: a loop and a readable-after-writable chain (bad chains), a
# read past the end and a length not whole sectors (IOERR), an unknown type.
assert d["bad_chains"] == 2 and d["ioerr"] == 2 and d["unsupported"] == 1, d
assert d["kicks"] > 0 and d["interrupts"] >= 206, "kicks/interrupts"
lines = [l for l in s["irq"]["lines"] if l.get("device") == d["name"]]
# Per line, nexit counts no exits it does not see (the I/O thread signals the
# irqfd): null; the device's data_path_exits above is the measured zero.
assert len(lines) == 2 and all(l["vmm_exits"] is None for l in lines), lines
# The last write (i = 198) reached the image: sector (99 % 4095) * 8.
img = open(sys.argv[3], "rb").read()
off = (99 % (32768 // 8 - 1)) * 8 * 512
want = bytes(((198 * 131 + k * 7 + 1) & 0xff) for k in range(4096))
assert img[off:off + 4096] == want, "image content"
print("blk_probe: %d requests, %d VMM exits, p50 %s ns, hostile chains answered, image holds the data" %
      (p["requests"], p["vmm_exits"], p.get("req_p50_ns")))
PY
[ $? = 0 ] || exit 1
grep -q "descriptor chain longer than the ring" "$T/rw.err" || fail "no report of the looping chain"
grep -q "device needs reset, guest keeps running" "$T/rw.err" || fail "no report of the broken ring"

# Read-only: RO offered, writes fail with IOERR, the image does not change.
sum=$(md5sum < "$IMG")
run ro ",readonly=on" "n=50 expect_ro=1"; rc=$?
j=$(probe_json "$T/ro.out")
[ $rc = 0 ] && grep -q '"result":"pass"' <<<"$j" || fail "read-only: rc=$rc $j $(tail -n2 "$T/ro.err")"
grep -q '"ro_write_status":1' <<<"$j" || fail "read-only: write did not fail with IOERR: $j"
[ "$(md5sum < "$IMG")" = "$sum" ] || fail "read-only: the image changed"
echo "blk_probe: read-only disk: writes refused, image unchanged"

# One writer per image: a lock held elsewhere is one error line.
flock -x "$IMG" sleep 30 & LOCK=$!
sleep 0.3
out=$(timeout -k 5 20 "$NEXIT" run --kernel "$PROBE" --no-defaults --timeout 15 --device "virtio-blk,path=$IMG" 2>&1); rc=$?
kill $LOCK; wait $LOCK 2>/dev/null; LOCK=""
[ $rc != 0 ] && grep -q "^nexit: error: .*is in use by another process" <<<"$out" || fail "locked image: $out"

# Bad input: one error line each, non-zero exit.
bad() {	# device spec, expected error
	out=$(timeout -k 5 20 "$NEXIT" run --kernel "$PROBE" --no-defaults --timeout 15 --device "$1" 2>&1); rc=$?
	[ $rc != 0 ] && [ "$(grep -c '^nexit: error:' <<<"$out")" = 1 ] && grep -q "$2" <<<"$out" ||
		fail "--device $1: rc=$rc: $out"
}
bad "virtio-blk" "needs path = IMAGE"
bad "virtio-blk,path=$T/none.img" "none.img: No such file"
bad "virtio-blk,path=$T" "Is a directory"
bad "virtio-blk,path=$T,readonly=on" "not a regular file or block device"
bad "virtio-blk,path=$IMG,readonly=maybe" "readonly must be on or off"
bad "virtio-blk,path=$IMG,serial=123456789012345678901" "longer than 20 bytes"
: > "$T/empty.img"
bad "virtio-blk,path=$T/empty.img" "smaller than one 512-byte sector"
echo "blk_probe: bad input refused"

# The same probe driver under QEMU's virtio-blk-pci (modern).
QEMU=$(command -v qemu-system-x86_64)
if [ -n "$QEMU" ]; then
	timeout -k 5 60 "$QEMU" -accel kvm -cpu host,-arch-capabilities -machine q35 -m 256 -smp 1 \
		-nodefaults -no-user-config -display none -monitor none -serial stdio -no-reboot \
		-device isa-debug-exit,iobase=0xf4,iosize=4 \
		-drive "if=none,id=d0,file=$IMG,format=raw" -device virtio-blk-pci,drive=d0,disable-legacy=on \
		-kernel "$PROBE" -append "scenario=blk n=50" >"$T/qemu.out" 2>"$T/qemu.err"
	rc=$?
	j=$(probe_json "$T/qemu.out")
	[ $rc = 0 ] && grep -q '"result":"pass"' <<<"$j" || fail "QEMU: rc=$rc $j $(tail -n2 "$T/qemu.err")"
	echo "blk_probe: QEMU virtio-blk-pci: $(grep -o '"req_p50_ns":[0-9]*' <<<"$j")"
fi
echo "blk_probe: pass"
