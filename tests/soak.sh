#!/bin/bash
# tests/soak.sh CYCLES - boots and stops a VM with an irqdev CYCLES times
# (make soak: 1000; make test: 20, tests/integration/soak.sh). Each cycle
# the guest does device work (factorials through nexit-devd, interrupts)
# and then holds (its "holding" line) while nexit is measured: open fds,
# threads, RSS, zombie children; then nexit is stopped with SIGTERM (exit
# 143). Every 5th cycle nexit-devd is killed first (SIGKILL), and nexit must
# close its socket,
# reap it and carry on. Nothing may grow: the fd and
# thread counts of every cycle equal the first cycle's of its kind, RSS
# stays within 25 % of the first cycles', no child is left a zombie, and
# no nexit or nexit-devd outlives its cycle. Prints the figures
# docs/security.md quotes; build/soak.json has them.
source "$(dirname "$0")/lib.sh"
need_kvm
CYCLES=${1:-20}
[ -x "$NEXIT" ] && [ -x "$NEXIT_DEVD" ] && [ -f "$PROBE" ] || fail "build nexit, nexit-devd and the probe first (make)"
T=$(mktemp -d)
VMM=
cleanup() { [ -n "$VMM" ] && kill -9 $VMM 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT
procs0=$(ps -e --no-headers | wc -l)
fd_ok= fd_kill= thr_ok= thr_kill= rss0= rss_max=0 kills=0 t0=$(date +%s)

sample() {	# PID -> "fds threads rss_kb zombies"
	echo "$(ls /proc/$1/fd 2>/dev/null | wc -l) $(ls /proc/$1/task 2>/dev/null | wc -l)" \
	     "$(awk '/^VmRSS:/{print $2}' /proc/$1/status 2>/dev/null)" \
	     "$(ps --ppid $1 -o stat= 2>/dev/null | grep -c Z)"
}

for c in $(seq 1 $CYCLES); do
	kill_this=$(( c % 5 == 0 ))
	timeout -k 5 60 "$NEXIT" run --kernel "$PROBE" --device irqdev \
		--cmdline "scenario=fact-max timeout_ms=5000 hold_ms=30000" --timeout 40 \
		>"$T/out" 2>"$T/err" &
	VMM=$!
	nx=; devd=
	for i in $(seq 200); do nx=$(pgrep -P $VMM -x nexit) && devd=$(pgrep -P $nx -x nexit-devd) && break; sleep 0.02; done
	[ -n "$devd" ] || fail "cycle $c: nexit or nexit-devd did not start: $(tail -n2 "$T/err")"
	# The guest does its device work, then holds: nexit is measured there.
	wait_line "$T/out" '^fact-max: done, holding' 30 ||
		fail "cycle $c: the guest did not finish its device work within 30 s: $(tail -n2 "$T/err")"
	if [ $kill_this = 1 ]; then
		kill -9 $devd
		for i in $(seq 100); do [ -e /proc/$devd ] || break; sleep 0.01; done
		sleep 0.1
	fi
	read fds thr rss zomb <<<"$(sample $nx)"
	[ -n "$rss" ] || fail "cycle $c: nexit ended before it was measured: $(tail -n3 "$T/err")"
	kill -TERM $nx
	wait $VMM; rc=$?; VMM=
	# nexit ends and reaps the backend it started before it exits itself.
	[ -e /proc/$devd ] && fail "cycle $c: nexit-devd $devd outlived its nexit ($(awk '/State/{print $2}' /proc/$devd/status))"
	[ "$zomb" = 0 ] || fail "cycle $c: $zomb zombie children of nexit"
	if [ $kill_this = 1 ]; then
		kills=$((kills + 1))
		grep -q "hung up" "$T/err" || fail "cycle $c: the killed backend was not reported"
		[ $rc = 143 ] || fail "cycle $c: nexit exited $rc on SIGTERM after the kill"
		fd_kill=${fd_kill:-$fds}; thr_kill=${thr_kill:-$thr}
		[ "$fds" = "$fd_kill" ] || fail "cycle $c: $fds fds after the kill, $fd_kill in the first such cycle"
		[ "$thr" = "$thr_kill" ] || fail "cycle $c: $thr threads after the kill, $thr_kill before"
	else
		[ $rc = 143 ] || fail "cycle $c: nexit exited $rc on SIGTERM: $(tail -n3 "$T/err")"
		fd_ok=${fd_ok:-$fds}; thr_ok=${thr_ok:-$thr}
		[ "$fds" = "$fd_ok" ] || fail "cycle $c: $fds fds, $fd_ok in the first cycle"
		[ "$thr" = "$thr_ok" ] || fail "cycle $c: $thr threads, $thr_ok in the first cycle"
		rss0=${rss0:-$rss}
	fi
	[ "$rss" -gt "$rss_max" ] && rss_max=$rss
	[ $((c % 100)) = 0 ] && echo "soak: $c cycles, fds $fd_ok/$fd_kill, threads $thr_ok/$thr_kill, RSS max $rss_max kB"
done
procs1=$(ps -e --no-headers | wc -l)
# A dead backend's socket (and pidfd) are closed, not kept.
[ -z "$fd_kill" ] || [ "$fd_kill" -lt "$fd_ok" ] || fail "a killed backend's fds stay open ($fd_kill, $fd_ok before)"
[ $rss_max -le $(( rss0 * 125 / 100 )) ] || fail "RSS grew: $rss_max kB, first cycle $rss0 kB"
# (The host's process count is reported, not judged: others share the host.)
secs=$(( $(date +%s) - t0 ))
printf '{"cycles":%d,"backend_kills":%d,"seconds":%d,"fds":%s,"fds_after_kill":%s,"threads":%s,"threads_after_kill":%s,"rss_first_kb":%s,"rss_max_kb":%s,"host_procs_before":%d,"host_procs_after":%d}\n' \
	$CYCLES $kills $secs $fd_ok ${fd_kill:-null} $thr_ok ${thr_kill:-null} $rss0 $rss_max $procs0 $procs1 >build/soak.json
echo "pass: $CYCLES cycles ($kills backend kills) in $secs s: fds $fd_ok (after a kill $fd_kill), threads $thr_ok ($thr_kill), RSS $rss0..$rss_max kB, no zombie, host processes $procs0 -> $procs1"
