# Shared helpers for integration test scripts (sourced).
#
# A script says what it needs in one header line that tests/run.sh reads:
#   # test: needs=none|kvm|linux|l1 [l1=also] [l1tcg=single] [timeout=SECONDS] [asan=no]
#     none   runs on this host (no KVM involved)
#     kvm    a KVM that runs the ring-3 probe guest (kvm_pvm or hardware)
#     linux  a KVM that boots Linux guests (hardware, or L1)
#     l1     the nested L1 machine's test bed (its intel-iommu and edu device)
#     l1=also  also run in L1 when this host's KVM is not a Linux one (a
#              LAPIC that keeps interrupts in service, nothing excused)
#     l1tcg=single  in L1, a boot of its own on one TCG thread (multi-threaded
#              TCG triple-faults this test's guests too often: docs/nested.md)
#     timeout  the harness's watchdog for the whole script (default 600)
#     asan=no  not in the ASan+UBSan pass
# tests/run.sh runs each script where its need is met: on this host, or in
# L1 (docs/nested.md). Run directly, a script that finds no KVM fails.
cd "$(dirname "${BASH_SOURCE[0]}")/.."
NEXIT=${NEXIT:-build/nexit}
# nexit starts the nexit-devd next to itself: the same build.
NEXIT_DEVD=${NEXIT_DEVD:-$(dirname "$NEXIT")/nexit-devd}
PROBE=${PROBE:-build/guest/probe.elf}
NEXIT_WHERE=${NEXIT_WHERE:-host}
skip() { echo "skip: $*"; exit 77; }
fail() { echo "FAIL: $*"; exit 1; }
# running PID: the process exists and has not exited (kill -0 also succeeds
# on a zombie nobody has reaped yet).
running() { [ -d "/proc/$1" ] && ! grep -q '^State:.Z' "/proc/$1/status" 2>/dev/null; }
# kvm_kind: linux, probe or none, as `nexit check --kvm` finds it here.
kvm_kind() {
	[ -n "${KVM_KIND_LINE:-}" ] || KVM_KIND_LINE=$("$NEXIT" check --kvm 2>&1)
	echo "${KVM_KIND_LINE%%:*}"
}
need_kvm() {
	case $(kvm_kind) in
	probe|linux) ;;
	*) fail "no usable KVM on $NEXIT_WHERE ($KVM_KIND_LINE); tests/run.sh runs this test in the nested L1 machine on such hosts";;
	esac
}
need_linux_kvm() {
	[ "$(kvm_kind)" = linux ] ||
		fail "this KVM cannot boot Linux ($KVM_KIND_LINE); tests/run.sh runs this test in the nested L1 machine on such hosts"
}
# wait_line FILE REGEX SECONDS [PID]: waits until a line of FILE matches
# REGEX (grep -E); false after SECONDS, or once PID (the nexit that writes
# FILE) has exited without printing it. The point a test measures at is
# then the guest's, not a guess of how fast this machine is.
wait_line() {
	local end=$(( $(date +%s) + $3 ))
	until grep -aqE "$2" "$1" 2>/dev/null; do
		[ "$(date +%s)" -lt $end ] || return 1
		if [ -n "${4:-}" ] && ! running "$4"; then
			grep -aqE "$2" "$1" 2>/dev/null
			return
		fi
		sleep 0.05
	done
}
# probe_json OUTPUT_FILE: prints the JSON of the last PROBE line.
probe_json() { grep -a '^PROBE ' "$1" | tail -n1 | sed 's/^PROBE //'; }
# probe_irqdev_pass CHIP CMDLINE DIR: boots the probe with one irqdev under
# irqchip CHIP, stats in DIR/s.json; fails unless nexit exits 0 and the
# scenario passes. Leaves the PROBE JSON in $j.
probe_irqdev_pass() {
	local chip=$1 cmd=$2 dir=$3 rc
	timeout -k 10 120 "$NEXIT" run --irqchip "$chip" --kernel "$PROBE" --device irqdev \
		--cmdline "$cmd" --stats-json "$dir/s.json" --timeout 100 >"$dir/out" 2>"$dir/err"
	rc=$?
	j=$(probe_json "$dir/out")
	echo "$chip: $j"
	[ $rc -eq 0 ] || fail "$chip: nexit exited $rc: $(tail -n3 "$dir/err")"
	echo "$j" | grep -q '"result":"pass"' || fail "$chip: scenario did not pass"
}
