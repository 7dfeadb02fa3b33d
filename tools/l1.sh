#!/bin/bash
# tools/l1.sh - runs one command of this host inside the nested x86 L1
# machine (QEMU TCG, -cpu EPYC,+svm,+npt: a real KVM-SVM /dev/kvm that boots
# Linux, an intel-iommu with QEMU's edu device for VFIO) and returns its exit
# status. L1 sees this host's whole file system read-only (9p) under a
# tmpfs overlay, so the same programs and paths work there: the command runs
# from the current directory, with the system's PATH, HOME, CI and the NEXIT_*, PROBE_*,
# NESTED_*, BENCH_* variables of this shell (not NEXIT_KVM_DEVICE), plus
# NEXIT_WHERE=L1. Writes stay in L1 except in --share directories.
#
#   tools/l1.sh [options] [--] COMMAND [ARGS...]
#     --share DIR      DIR (created if missing) is writable from L1, same path
#     --console        stream the command's output here (else only the log)
#     --timeout S      limit for the whole run (default 3000)
#     --stall S        no L1 heartbeat for S seconds = stalled (default 60)
#     --env VAR=VALUE  one more variable for the command
#     --qemu ARG       one more QEMU argument (repeat for more)
#     --run DIR        the run directory (default build/l1/run.XXXXXX)
#
# Exit status: the command's; 125 when L1 gave none (DIR/status says stall,
# timeout, boot or crash; DIR/*-state.txt holds QEMU's CPU state). The run
# directory keeps console.log (the command's output), ctl.log (L1's own
# lines: NESTED-T timeline, NESTED-HB heartbeat, NESTED-WATCHDOG task states,
# NESTED-RC) and qemu.out. docs/nested.md describes the machine.
cwd=$PWD
source "$(dirname "$0")/../tests/nested/lib.sh"
L1_SHARES=(); L1_QEMU_ARGS=(); L1_ENV=()
abspath() { case $1 in /*) realpath -m "$1";; *) realpath -m "$cwd/$1";; esac; }
while [ $# -gt 0 ]; do
	case $1 in
	--share) L1_SHARES+=("$(abspath "$2")"); shift 2;;
	--console) L1_CONSOLE=1; shift;;
	--timeout) L1_TIMEOUT=$2; shift 2;;
	--stall) L1_STALL=$2; shift 2;;
	--env) L1_ENV+=("$2"); shift 2;;
	--qemu) L1_QEMU_ARGS+=("$2"); shift 2;;
	--run) L1_RUN=$(abspath "$2"); shift 2;;
	--) shift; break;;
	-h|--help) sed -n '2,/^$/p' "$0" | sed 's/^# \{0,1\}//'; exit 0;;
	-*) echo "nexit: error: l1.sh: unknown option $1 (see tools/l1.sh --help)" >&2; exit 2;;
	*) break;;
	esac
done
[ $# -gt 0 ] || { echo "nexit: error: l1.sh: no command given (see tools/l1.sh --help)" >&2; exit 2; }
command -v "$QEMU" >/dev/null || { echo "nexit: error: l1.sh: no $QEMU (apt-get install qemu-system-x86)" >&2; exit 125; }
l1_run "$cwd" "$@"
rc=$?
[ "${L1_CONSOLE:-}" = 1 ] || [ $rc -eq 0 ] || [ ! -f "${L1_RUN:-}/console.log" ] ||
	tail -n 20 "$L1_RUN/console.log" >&2
exit $rc
