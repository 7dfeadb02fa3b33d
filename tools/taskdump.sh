#!/bin/sh
# tools/taskdump.sh [PID...] - what a stalled run was doing: for each PID
# and every process below it (all processes when none is given), one line
# per thread with its state (proc(5) /proc/PID/task/TID/status State), the
# kernel function it sleeps in (wchan) and its command line, then the
# kernel stacks of threads that are not sleeping interruptibly (R, D, ...)
# where /proc/PID/task/TID/stack is readable (root). POSIX sh: the
# watchdogs of tests/run.sh (host and L1) and of the L1 /init use it.

# children PID: direct children of PID (from /proc/PID/task/*/children).
children() {
	cat /proc/"$1"/task/*/children 2>/dev/null
}

tree() {
	echo "$1"
	for c in $(children "$1"); do tree "$c"; done
}

if [ $# -eq 0 ]; then
	set -- $(ls /proc | grep -E '^[0-9]+$')
	pids="$*"
else
	pids=""
	for p in "$@"; do pids="$pids $(tree "$p")"; done
fi

for p in $pids; do
	[ -d /proc/"$p" ] || continue
	cmd=$(tr '\0' ' ' < /proc/"$p"/cmdline 2>/dev/null | cut -c1-160)
	[ -n "$cmd" ] || cmd="[$(cat /proc/"$p"/comm 2>/dev/null)]"
	for t in /proc/"$p"/task/*; do
		[ -d "$t" ] || continue
		st=$(sed -n 's/^State:[[:space:]]*//p' "$t"/status 2>/dev/null)
		echo "task pid=$p tid=${t##*/} comm=$(cat "$t"/comm 2>/dev/null) state=\"$st\"" \
			"wchan=$(cat "$t"/wchan 2>/dev/null) cmd=$cmd"
		case $st in
		S*|I*) ;;
		*) [ -r "$t"/stack ] && sed 's/^/    /' "$t"/stack 2>/dev/null;;
		esac
	done
done
