#!/bin/bash
# The sandbox (issue 12): while a VM runs, every thread of nexit and of
# nexit-devd shows "Seccomp: 2" (filter mode) and NoNewPrivs 1 in
# /proc/PID/task/*/status, nexit-devd runs as uid 65534 (started without
# privileges), --user drops nexit itself once everything is open (the VM
# runs on, nexit stat and the stats file still work), --sandbox off loads
# no filter, a bad --user is one error line, and nexit check reports it.
# test: needs=kvm
source "$(dirname "$0")/../lib.sh"
need_kvm
[ -x "$NEXIT" ] && [ -x "$NEXIT_DEVD" ] && [ -f "$PROBE" ] || skip "build/nexit, nexit-devd or probe.elf missing (run make)"
[ "$(id -u)" = 0 ] || skip "needs root (nexit-devd and --user drop privileges from root)"
T=$(mktemp -d); chmod 0711 "$T"
VMM=
cleanup() { [ -n "$VMM" ] && kill -9 $VMM 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT

# threads PID: "comm seccomp nnp uid" per thread of PID.
threads() {
	local t c st
	for t in /proc/$1/task/*; do
		# A thread may end between the listing and the read (io_uring's workers do).
		c=$(cat $t/comm 2>/dev/null) && st=$(awk '/^Seccomp:/{s=$2} /^NoNewPrivs:/{n=$2} /^Uid:/{u=$2} END{print s, n, u}' $t/status 2>/dev/null) &&
			[ -n "$st" ] && echo "$c $st"
	done
}

# run NAME EXPECT_SECCOMP EXPECT_NEXIT_UID ARGS...: a VM with an irqdev (its
# nexit-devd) and the control socket; the guest does its device work, then
# holds (its "holding" line) while the threads are looked at and nexit stat
# asks; then SIGTERM stops it (exit 143: the probe has no power button).
run() {
	local name=$1 want=$2 uid=$3 nx devd; shift 3
	timeout -k 5 90 "$NEXIT" run --kernel "$PROBE" --cpus 2 --device irqdev \
		--control "$T/ctl" --stats-json "$T/s.json" \
		--cmdline "scenario=fact-max hold_ms=60000" --timeout 80 "$@" \
		>"$T/out" 2>"$T/err" &
	VMM=$!
	for i in $(seq 100); do nx=$(pgrep -P $VMM -x nexit) && devd=$(pgrep -P $nx -x nexit-devd) && break; sleep 0.05; done
	[ -n "$devd" ] || fail "$name: nexit or nexit-devd did not start: $(cat "$T/err")"
	wait_line "$T/out" '^fact-max: done, holding' 30 ||
		fail "$name: the guest did not finish its device work within 30 s: $(tail -n 3 "$T/err"; tail -n 2 "$T/out")"
	threads $nx >"$T/nexit.threads"
	threads $devd >"$T/devd.threads"
	"$NEXIT" stat "$T/ctl" >"$T/live.json" ||
		fail "$name: nexit stat failed; nexit: $(tail -n 3 "$T/err"; tail -n 2 "$T/out")"
	kill -TERM $nx
	wait $VMM; rc=$?; VMM=
	echo "$name: nexit threads: $(awk '{printf "%s(%s,uid %s) ", $1, $2, $4}' "$T/nexit.threads")"
	echo "$name: nexit-devd: $(awk '{printf "%s(%s,uid %s) ", $1, $2, $4}' "$T/devd.threads")"
	[ $rc = 143 ] || fail "$name: nexit exited $rc on SIGTERM (143 expected): $(tail -n3 "$T/err") $(probe_json "$T/out")"
	# main, two vCPUs, the event loop (every host fd, the control socket's too)
	[ "$(wc -l <"$T/nexit.threads")" -ge 4 ] || fail "$name: too few nexit threads seen"
	awk -v w=$want '$2 != w {exit 1}' "$T/nexit.threads" "$T/devd.threads" ||
		fail "$name: a thread without Seccomp: $want: $(cat "$T/nexit.threads" "$T/devd.threads")"
	awk -v u=$uid '$4 != u {exit 1}' "$T/nexit.threads" || fail "$name: nexit not uid $uid"
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["exits"]["total"] > 0' \
		"$T/s.json" || fail "$name: no stats file"
}

run default 2 0
awk '$3 != 1 {exit 1}' "$T/nexit.threads" "$T/devd.threads" || fail "default: NoNewPrivs not set everywhere"
awk '$4 != 65534 {exit 1}' "$T/devd.threads" || fail "default: nexit-devd is not uid 65534"
grep -q 'nexit-vcpu1 ' "$T/nexit.threads" && grep -q 'nexit-loop ' "$T/nexit.threads" ||
	fail "default: vCPU or event loop thread missing"

# A thread the guest makes nexit start (virtio-blk's I/O thread at
# DRIVER_OK, from a vCPU): sandboxed from its first instruction on.
truncate -s 4M "$T/disk.img"
timeout -k 5 60 "$NEXIT" run --kernel "$PROBE" --device "virtio-blk,path=$T/disk.img" \
	--cmdline "scenario=blk n=30000" --timeout 40 >"$T/out" 2>"$T/err" &
VMM=$!
for i in $(seq 100); do nx=$(pgrep -P $VMM -x nexit) && break; sleep 0.05; done
: >"$T/blk.threads"
while kill -0 $VMM 2>/dev/null; do
	grep -qx nexit-blk /proc/$nx/task/*/comm 2>/dev/null && threads $nx >>"$T/blk.threads"
	sleep 0.1
done
wait $VMM; rc=$?; VMM=
[ $rc = 0 ] || fail "blk: nexit exited $rc: $(tail -n3 "$T/err")"
grep -q '^nexit-blk ' "$T/blk.threads" || fail "blk: never saw the I/O thread"
awk '$2 != 2 {exit 1}' "$T/blk.threads" || fail "blk: a thread without Seccomp: 2: $(sort -u "$T/blk.threads")"
echo "blk: $(sort -u "$T/blk.threads" | awk '{printf "%s(%s) ", $1, $2}')"

run user 2 65534 --user nobody
run off 0 0 --sandbox off

"$NEXIT" run --kernel "$PROBE" --timeout 10 --user no-such-user-here >/dev/null 2>"$T/err" && fail "--user no-such-user accepted"
[ "$(wc -l <"$T/err")" = 1 ] && grep -q "nexit: error: user = no-such-user-here: no such user" "$T/err" ||
	fail "bad --user: $(cat "$T/err")"
"$NEXIT" run --kernel "$PROBE" --timeout 10 --sandbox maybe >/dev/null 2>"$T/err" && fail "--sandbox maybe accepted"
grep -q "on, off or log" "$T/err" || fail "bad --sandbox: $(cat "$T/err")"
"$NEXIT" check | grep -q "seccomp filters *yes" || fail "nexit check does not report the sandbox"
echo "pass: every nexit and nexit-devd thread in seccomp filter mode with NO_NEW_PRIVS, nexit-devd as uid 65534, --user drop, --sandbox off, check"
