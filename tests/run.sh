#!/bin/bash
# tests/run.sh - every test, each where it can run, under a watchdog.
#
#   tests/run.sh                   the whole suite (make test)
#   tests/run.sh --only NAME...    just these (integration/probe_hello,
#                                  asan/integration/x, selftest/x, nested/x, unit/x)
#   tests/run.sh --where host|L1   put every KVM test there (harness self-tests)
#   tests/run.sh --list [...]      print "NAME WHERE" for each planned run, run nothing
#
# Units (cmocka, plain and ASan+UBSan), a few seconds of each libFuzzer
# harness (tests/fuzz) and the arm64 nested machines run on
# this host. Each integration script says what it needs (tests/lib.sh,
# "# test: needs=..."); `nexit check --kvm` says what this host's KVM is
# (core/kvm_kind.c); a test whose need this host cannot meet runs inside the
# nested x86 L1 machine instead (tools/l1.sh: one L1 boot runs all of them,
# docs/nested.md). The integration scripts run twice: with the static
# release build and with the ASan+UBSan build of nexit and nexit-devd.
#
# Verdicts: exit 0 = PASS, 77 = SKIP (the script prints why), anything else
# = FAIL. A script that outlives its time limit is a FAIL: its task states
# (tools/taskdump.sh) go to its log, then its process group is killed. An L1
# machine that stops making progress (no heartbeat) is booted again for the
# tests it had not finished; a test that then passes is reported FLAKY, and
# so is a test run once more in L1 because it failed after an L2 guest's
# triple fault (the SHUTDOWN exits L1's KVM traced go to its log) or hang
# (nexit's report of its vCPUs at the guest's --timeout). With
# CI=true a skip other than for missing posted-interrupt hardware is a FAIL.
# Each result line says where the test ran; the summary counts excused
# checks (EXCUSED-CHECKS lines of the scripts) and flaky tests; the last line
# is "N passed, N failed, N skipped".
cd "$(dirname "$0")/.."
LOG=${NEXIT_TEST_LOG:-build/test-logs}
ONLY=(); WHERE=""; IN_L1=""; LIST=""
while [ $# -gt 0 ]; do
	case $1 in
	--only) shift; while [ $# -gt 0 ] && [ "${1#--}" = "$1" ]; do ONLY+=("$1"); shift; done;;
	--where) WHERE=$2; shift 2;;
	--in-l1) IN_L1=1; shift;;
	--list) LIST=1; shift;;
	*) echo "nexit: error: tests/run.sh: unknown argument $1" >&2; exit 2;;
	esac
done
case $WHERE in ""|host|L1) ;; *) echo "nexit: error: --where host|L1" >&2; exit 2;; esac
HERE=host; [ -n "$IN_L1" ] && HERE=L1 && LOG=$LOG/L1
mkdir -p "$LOG"
pass=0; fail=0; skip=0; excused=0; failed=(); flaky=(); skipped=()
t_start=$(date +%s)

# ---- one test under its watchdog -------------------------------------------

# meta FILE KEY DEFAULT: a value of the script's "# test:" header line.
meta() {
	local v
	v=$(sed -n 's/^# test:.*[[:space:]]'"$2"'=\([^[:space:]]*\).*/\1/p' "$1" | head -n1)
	echo "${v:-$3}"
}

# script_of NAME: the file behind a test name.
script_of() {
	case $1 in
	asan/integration/*) echo "tests/integration/${1#asan/integration/}.sh";;
	integration/*|selftest/*) echo "tests/$1.sh";;
	nested/*) echo "tests/nested/test_${1#nested/}.sh";;
	unit/*) echo "build/tests/${1#unit/}";;
	asan/unit/*) echo "build/asan/tests/${1#asan/unit/}";;
	fuzz/*) echo "tests/fuzz/run.sh";;
	esac
}

# exec_one NAME: runs the test here under its watchdog; sets file, log, rc,
# dt and extra (why the watchdog killed it) for run_one.
exec_one() {
	local name=$1 limit t0 pid wd ms
	extra=""
	file=$(script_of "$name")
	log=$LOG/$name.log
	mkdir -p "$(dirname "$log")"
	# The nested scripts boot their own machines, each under its own limit.
	case $name in nested/*) limit=1200;; *) limit=600;; esac
	limit=${NEXIT_TEST_LIMIT:-$(meta "$file" timeout $limit)}
	local -a cmd=(bash "$file") env=()
	case $name in
	unit/*|asan/unit/*) cmd=("$file");;
	# Each libFuzzer harness a few seconds (make fuzz runs them longer).
	fuzz/*) cmd=(tests/fuzz/run.sh "${NEXIT_FUZZ_SECONDS:-5}" "${name#fuzz/}");;
	asan/*) env=(NEXIT=build/asan/nexit);;
	esac
	t0=$(date +%s%N)
	rm -f "$log.hung"
	# Its own session (process group), so the watchdog can end all of it.
	env "${env[@]}" setsid "${cmd[@]}" >"$log" 2>&1 </dev/null &
	pid=$!
	RUNNING=$pid
	(
		trap 'kill $s 2>/dev/null; exit 0' TERM
		sleep "$limit" & s=$!
		wait $s
		kill -0 $pid 2>/dev/null || exit 0
		{ echo "== watchdog: $name ran over ${limit} s on $HERE; task states:"
		  sh tools/taskdump.sh $pid; } > "$log.hung"
		local tree
		tree=$(sed -n 's/^task pid=\([0-9]*\) .*/\1/p' "$log.hung" | sort -u)
		# Finish the stop: the test's shell dies at the TERM and run_one
		# then signals this watchdog, but what ignored the TERM (a hung
		# nexit) must still get the KILL.
		trap '' TERM
		kill -TERM -- -$pid $tree 2>/dev/null; sleep 5; kill -KILL -- -$pid $tree 2>/dev/null
	) &
	wd=$!
	RUNNING_WD=$wd
	wait $pid
	rc=$?
	kill $wd 2>/dev/null; wait $wd 2>/dev/null
	RUNNING=""; RUNNING_WD=""
	ms=$(( ($(date +%s%N) - t0) / 1000000 ))
	dt=$((ms / 1000)).$((ms % 1000 / 100))
	if [ -s "$log.hung" ]; then
		cat "$log.hung" >> "$log"
		local nx
		nx=$(grep -c 'comm=nexit ' "$log.hung")
		extra="hung: killed by the watchdog after ${limit} s"
		[ "$nx" -gt 0 ] && extra="$extra, nexit still running ($(grep -m1 'comm=nexit ' "$log.hung" | grep -o 'state="[^"]*"'))"
		rc=124
	fi
	[ "$HERE" = L1 ] && l1_shutdown_exits >> "$log"
}

# An L2 guest's triple fault (L1 KVM's traced SHUTDOWN exit, or nexit's own
# line) and a hang (nexit's report of its vCPUs at the guest's --timeout, or
# its last line after that report, where a test kept only nexit's last lines).
TRIPLE_RE='^L1 KVM: SHUTDOWN exit: |triple fault \(KVM_EXIT_SHUTDOWN\)'
HUNG_RE='nexit: error: at the timeout vCPU [0-9]+ was |nexit: guest stopped: timeout \(exit status 124\)'
# run_one NAME: runs the test here, prints its result line, counts it.
run_one() {
	local name=$1 file log rc dt extra tag="[$HERE]" retry=""
	exec_one "$name"
	# In L1 only: a test that failed after one of its L2 guests triple-faulted
	# or hung runs again, at most twice more, reported FLAKY. Such triple
	# faults (probe and Linux, registers at reset) and hangs come from the
	# nested machine's multi-threaded TCG (docs/nested.md); a failure without
	# one, or three in a row, still fails.
	local try=1 why
	# The facts: L1 KVM's traced SHUTDOWN exit (l1_shutdown_exits) or nexit's
	# report of it, where the test kept nexit's output; for a hang, nexit's
	# report of each vCPU at its --timeout (core/vcpu.c).
	while [ "$HERE" = L1 ] && [ "$rc" != 0 ] && [ "$rc" != 77 ] && [ -z "$extra" ] && [ $try -lt 3 ] &&
	      grep -aqE "$TRIPLE_RE|$HUNG_RE" "$log"; do
		mv "$log" "$log.try$try"
		if grep -aqE "$TRIPLE_RE" "$log.try$try"; then
			why="an L2 guest triple-faulted"
			echo "----  $name $tag failed after an L2 triple fault; running it again (log of that run: $log.try$try)"
			grep -a '^L1 KVM: ' "$log.try$try" | head -n 3 | sed 's/^/      /'
		else
			why="an L2 guest hung (nexit's --timeout)"
			echo "----  $name $tag failed after an L2 guest hung; running it again (log of that run: $log.try$try)"
			grep -aE "$HUNG_RE" "$log.try$try" | head -n 3 | sed 's/^/      /'
		fi
		exec_one "$name"
		retry="${retry:+$retry; }$why in L1 on run $try, its log $log.try$try"
		try=$((try + 1))
	done
	local ex
	ex=$(sed -n 's/^EXCUSED-CHECKS \([0-9]*\).*/\1/p' "$log" | awk '{s += $1} END {print s + 0}')
	[ "$ex" -gt 0 ] && excused=$((excused + ex))
	# A retry inside the test (tools/l1.sh booting a stalled L1 again)
	# makes a pass FLAKY: reported and counted, never silent.
	[ -z "$retry" ] && retry=$(grep -a -m1 -o 'RETRIED: .*' "$log" | sed 's/^RETRIED: //')
	case $rc in
	0) pass=$((pass + 1))
	   [ -n "$retry" ] && flaky+=("$name: $retry")
	   local note=""
	   [ "$ex" -gt 0 ] && note=", $ex checks excused"
	   echo "PASS  $name $tag (${dt}s$note)${retry:+ FLAKY (retried: $retry)}";;
	77) local why
	    why=$(grep -a '^skip: ' "$log" | tail -n1 | sed 's/^skip: //')
	    if [ "${CI:-}" = true ] && ! grep -qi '^posted.interrupts' <<<"$why"; then
		fail=$((fail + 1)); failed+=("$name")
		echo "FAIL  $name $tag (skipped in CI, which allows only the posted-interrupt skip: $why)"
	    else
		skip=$((skip + 1)); skipped+=("$name: $why")
		echo "SKIP  $name $tag: $why"
	    fi;;
	*) fail=$((fail + 1)); failed+=("$name")
	   echo "FAIL  $name $tag (rc=$rc, ${dt}s${extra:+; $extra}${retry:+; run twice: $retry}) - log: $log"
	   grep -av '^== watchdog\|^task \|^    ' "$log" | tail -n 15 | sed 's/^/      /'
	   [ -n "$extra" ] && grep -a 'comm=nexit' "$log.hung" | head -n 4 | sed 's/^/      /';;
	esac
}

# ---- where each test goes -------------------------------------------------

KIND_LINE=$(build/nexit check --kvm 2>&1)
KIND=${KIND_LINE%%:*}

# place NAME: host, L1, "host L1" or "" (not here).
place() {
	local file needs also
	file=$(script_of "$1")
	case $1 in nested/*) needs=$(meta "$file" needs none);; *) needs=$(meta "$file" needs kvm);; esac
	also=$(meta "$file" l1 "")
	if [ "$needs" != none ] && [ -n "$WHERE" ]; then echo "$WHERE"; return; fi
	case $needs in
	none) echo host;;
	kvm) if [ "$KIND" = none ]; then echo L1
	     elif [ "$also" = also ] && [ "$KIND" != linux ]; then echo "host L1"
	     else echo host; fi;;
	linux) [ "$KIND" = linux ] && echo host || echo L1;;
	l1) echo L1;;
	esac
}

# ---- L1: one boot for all its tests, booted again after a stall ------------

# Inside L1, KVM's SHUTDOWN exits (an L2 guest's triple fault) are traced,
# filtered in the kernel so nothing else is recorded: on SVM, KVM resets the
# vCPU before nexit sees KVM_EXIT_SHUTDOWN, and only the tracepoint keeps the
# guest's rip and the event it was delivering (intr_info = EXITINTINFO).
l1_shutdown_trace_on() {
	local ev=/sys/kernel/tracing/events/kvm/kvm_exit
	mountpoint -q /sys/kernel/tracing || mount -t tracefs nodev /sys/kernel/tracing 2>/dev/null
	[ -d $ev ] || return 0
	# SVM_EXIT_SHUTDOWN 0x7f (isa 2), VMX EXIT_REASON_TRIPLE_FAULT 2 (isa 1)
	echo '(isa == 2 && exit_reason == 127) || (isa == 1 && exit_reason == 2)' >$ev/filter &&
		echo 1 >$ev/enable
}
# The SHUTDOWN exits traced since the last call, one "L1 KVM:" line each.
l1_shutdown_exits() {
	local tr=/sys/kernel/tracing/trace
	[ -w $tr ] || return 0
	grep -a 'kvm_exit:' $tr | sed 's/^ *//; s/^/L1 KVM: SHUTDOWN exit: /'
	: >$tr
}

L1_BOOTS=0; L1_SECONDS=0
run_in_l1() {	# NAME...
	local todo=("$@") retried="" retried_why="" tries=0 out st first
	while [ ${#todo[@]} -gt 0 ]; do
		L1_BOOTS=$((L1_BOOTS + 1)); tries=$((tries + 1))
		echo "----  L1 boot $L1_BOOTS: ${#todo[@]} tests in the nested machine (tools/l1.sh, -accel ${L1_ACCEL:-tcg}; log $LOG/L1-boot$L1_BOOTS)"
		mkdir -p "$LOG/L1"
		out=$LOG/L1-boot$L1_BOOTS
		local b0=$(date +%s)
		NEXIT_L1_ACCEL=${L1_ACCEL:-tcg} tools/l1.sh --run "$out" --share "$LOG/L1" --stall "${L1_STALL:-90}" \
			--timeout "${L1_TIMEOUT:-6000}" -- tests/run.sh --in-l1 --only "${todo[@]}" \
			>"$out.console" 2>"$out.err"
		st=$?
		L1_SECONDS=$((L1_SECONDS + $(date +%s) - b0))
		if [ -s "$out/retried" ]; then
			flaky+=("L1 boot $L1_BOOTS: $(cat "$out/retried")")
			echo "----  L1 boot $L1_BOOTS RETRIED: $(cat "$out/retried")"
		fi
		# The result lines the L1 run printed, counted here.
		local done=() line n
		while IFS= read -r line; do
			n=$(awk '{print $2}' <<<"$line")
			done+=("$n")
			case $line in
			PASS*) pass=$((pass + 1))
			       ex=$(grep -o '[0-9]* checks excused' <<<"$line" | cut -d' ' -f1)
			       excused=$((excused + ${ex:-0}))
			       [ "$n" = "$retried" ] && { flaky+=("$n: L1 failed ($retried_why) on the first try"); line="$line FLAKY (passed after an L1 $retried_why)"; }
			       [[ $line == *"FLAKY (retried: "* ]] && flaky+=("$n: ${line#*FLAKY (retried: }");;
			SKIP*) skip=$((skip + 1)); skipped+=("$n: ${line#*]: }");;
			FAIL*) fail=$((fail + 1)); failed+=("$n");;
			esac
			echo "$line"
		done < <(tr -d '\r' < "$out/console.log" 2>/dev/null | grep -a -E '^(PASS|FAIL|SKIP)  ')
		tr -d '\r' < "$out/console.log" 2>/dev/null | grep -a -E '^      ' | head -n 40
		local rest=() t
		for t in "${todo[@]}"; do
			[[ " ${done[*]} " == *" $t "* ]] || rest+=("$t")
		done
		[ ${#rest[@]} -eq 0 ] && break
		first=${rest[0]}
		why=$(cat "$out/status" 2>/dev/null || echo "exit $st")
		if [ "$first" = "$retried" ] || [ $tries -ge 4 ]; then
			fail=$((fail + 1)); failed+=("$first")
			echo "FAIL  $first [L1] (the L1 machine failed twice while it ran: $why; logs $out, $LOG/L1/$first.log)"
			rest=("${rest[@]:1}")
			retried=""
		else
			echo "----  L1 machine failed ($why) during $first: logs $out; booting it again for ${#rest[@]} tests"
			tail -n 3 "$out.err" | sed 's/^/      /'
			retried=$first retried_why=$why
		fi
		todo=("${rest[@]}")
	done
}

# A harness that is itself stopped (timeout(1), ^C, a CI cancel) ends the
# test it runs, its whole session, and that test's watchdog: nothing it
# started may outlive it (a test's backend once spun on for 45 minutes).
RUNNING=""; RUNNING_WD=""
abort() {
	trap - TERM INT HUP
	if [ -n "$RUNNING" ]; then
		kill -TERM -- -"$RUNNING" 2>/dev/null
		[ -n "$RUNNING_WD" ] && kill "$RUNNING_WD" 2>/dev/null
		sleep 2
		kill -KILL -- -"$RUNNING" 2>/dev/null
		echo "ABORT $1: the harness was stopped; the running test's session was killed" >&2
	fi
	exit 130
}
trap 'abort TERM' TERM; trap 'abort INT' INT; trap 'abort HUP' HUP

# ---- the suite ------------------------------------------------------------

all_tests() {
	local t
	for t in build/tests/test_*; do [ -e "$t" ] && echo "unit/$(basename "$t")"; done
	for t in build/asan/tests/test_*; do [ -e "$t" ] && echo "asan/unit/$(basename "$t")"; done
	for t in $(tests/fuzz/run.sh --list); do echo "fuzz/$t"; done
	for t in tests/integration/*.sh; do echo "integration/$(basename "$t" .sh)"; done
	for t in tests/integration/*.sh; do
		[ "$(meta "$t" asan yes)" != no ] && echo "asan/integration/$(basename "$t" .sh)"
	done
	[ -z "${NEXIT_SKIP_NESTED:-}" ] && for t in tests/nested/test_*.sh; do
		[ -e "$t" ] && echo "nested/$(basename "$t" .sh | sed 's/^test_//')"
	done
}

if [ -n "$IN_L1" ]; then
	echo "----  in L1: $KIND_LINE"
	l1_shutdown_trace_on
	for t in "${ONLY[@]}"; do run_one "$t"; done
	[ $fail -eq 0 ]
	exit
fi

if [ -z "$LIST" ]; then
	make --no-print-directory -s all unit-bins asan-bins appliance >/dev/null ||
		{ echo "build of tests failed"; exit 1; }
	echo "----  this host's KVM: $KIND_LINE"
fi
[ ${#ONLY[@]} -eq 0 ] && mapfile -t ONLY < <(all_tests)
host_tests=(); l1_tests=()
for t in "${ONLY[@]}"; do
	case $t in
	unit/*|asan/unit/*|fuzz/*) host_tests+=("$t"); continue;;
	esac
	f=$(script_of "$t")
	[ -f "$f" ] || { echo "nexit: error: no test $t ($f)" >&2; exit 2; }
	for w in $(place "$t"); do
		[ "$w" = host ] && host_tests+=("$t") || l1_tests+=("$t")
	done
done
if [ -n "$LIST" ]; then
	for t in "${host_tests[@]}"; do echo "$t host"; done
	for t in "${l1_tests[@]}"; do echo "$t L1"; done
	exit 0
fi
for t in "${host_tests[@]}"; do run_one "$t"; done
# L1 boots with multi-threaded TCG (fast), except for the tests whose guests
# it triple-faults too often: those get a boot on one TCG thread.
l1_multi=(); l1_single=()
for t in "${l1_tests[@]}"; do
	[ "$(meta "$(script_of "$t")" l1tcg multi)" = single ] && l1_single+=("$t") || l1_multi+=("$t")
done
[ ${#l1_multi[@]} -gt 0 ] && run_in_l1 "${l1_multi[@]}"
[ ${#l1_single[@]} -gt 0 ] && L1_ACCEL=tcg,thread=single run_in_l1 "${l1_single[@]}"

echo
[ $fail -gt 0 ] && echo "failed: ${failed[*]}"
for s in "${skipped[@]}"; do echo "skipped: $s"; done
for f in "${flaky[@]}"; do echo "flaky: $f"; done
echo "summary: $excused excused checks, ${#flaky[@]} flaky, ${#host_tests[@]} runs on this host ($KIND) and ${#l1_tests[@]} in L1 ($L1_BOOTS boots), $(( $(date +%s) - t_start )) s"
echo "$pass passed, $fail failed, $skip skipped"
[ $fail -eq 0 ]
