# tests/nested/lib.sh - the nested-machine harness (sourced by
# tests/nested/test_*.sh; bash).
#
# L0 (this host) runs QEMU with TCG and an AMD CPU model with SVM and nested
# paging; L1 is Debian's cloud kernel with an initramfs built here: busybox-
# static, kvm/kvm-amd (+ whatever else the test asks for) from the same
# kernel package, a static nexit, the appliance, and the test's own script.
# L1's /init (tests/nested/l1-init) loads the modules, checks /dev/kvm, runs
# the script and powers off; the test reads the result off L1's serial log.
#
#   source tests/nested/lib.sh
#   nested_need_tools                        # skip (77) without QEMU etc.
#   nested_initramfs OUT SCRIPT [SRC=DST]... # build L1's initramfs
#   nested_boot INITRD LOG TIMEOUT [QEMU ARGS...]  # boot L1, serial -> LOG
#   nested_rc LOG                            # test.sh's exit status in L1
#   nested_kernel_clean LOG                  # fail on a kernel WARNING/BUG/Oops
#
# Knobs (environment): NESTED_MODULES (module names, dependencies are added;
# default "kvm-amd"), NESTED_APPEND (extra L1 kernel cmdline), NESTED_MACHINE
# (default "q35"), NESTED_NEXIT (a prebuilt static nexit instead of
# `make build/nexit-static`), NESTED_TEST_TIMEOUT (seconds test.sh may run in L1),
# NESTED_MEM (default 1024), NESTED_SMP (default 2), NESTED_START_S (seconds
# L1 may take to start its test before nested_boot boots it again; 90).
# Inside L1 the repository layout is mirrored under /work (cwd of test.sh):
# /work/build/appliance/*, /work/guest/appliance/appliance.ini, and nexit is
# /bin/nexit.

cd "$(dirname "${BASH_SOURCE[0]}")/../.."
source tests/lib.sh

NESTED_BUILD=${NESTED_BUILD:-build/nested}
NESTED_MODULES=${NESTED_MODULES:-kvm-amd}
NESTED_MACHINE=${NESTED_MACHINE:-q35}
NESTED_MEM=${NESTED_MEM:-1024}
NESTED_SMP=${NESTED_SMP:-2}
NESTED_TEST_TIMEOUT=${NESTED_TEST_TIMEOUT:-120}
QEMU=${QEMU:-qemu-system-x86_64}

nested_log() { echo "nested: $*" >&2; }

# Skips the test (exit 77, one-line reason) when the host cannot run it.
nested_need_tools() {
	command -v "$QEMU" >/dev/null || skip "no $QEMU (apt-get install qemu-system-x86)"
	[ -x /bin/busybox ] || skip "no /bin/busybox (apt-get install busybox-static)"
	command -v cpio >/dev/null || skip "no cpio"
	command -v objcopy >/dev/null || skip "no objcopy (apt-get install binutils)"
	NESTED_KROOT=$(guest/appliance/fetch-kernel.sh build) ||
		skip "cannot fetch Debian's cloud kernel with apt-get download"
	NESTED_KREL=$(basename "$(ls -d "$NESTED_KROOT"/lib/modules/*/ | head -n1)")
	NESTED_VMLINUZ=$(ls "$NESTED_KROOT"/boot/vmlinuz-* | head -n1)
}

# _nested_ko NAME: path of module NAME (- and _ are the same to the kernel)
# in the unpacked package, decompressed into $NESTED_BUILD/ko if needed.
_nested_ko() {
	local name=$1 alt f
	alt=$(echo "$name" | tr _- -_)
	f=$(find "$NESTED_KROOT/lib/modules/$NESTED_KREL" \
		\( -name "$name.ko*" -o -name "$alt.ko*" \) | head -n1)
	[ -n "$f" ] || { nested_log "module $name not in $NESTED_KROOT"; return 1; }
	case $f in
	*.ko) echo "$f";;
	*.ko.xz|*.ko.zst|*.ko.gz)
		# busybox insmod takes only plain ELF modules.
		mkdir -p "$NESTED_BUILD/ko"
		local out="$NESTED_BUILD/ko/$(basename "${f%.*}")"
		case $f in
		*.xz) xz -dc "$f" > "$out";;
		*.zst) zstd -qdc "$f" > "$out";;
		*.gz) gzip -dc "$f" > "$out";;
		esac || return 1
		echo "$out";;
	esac
}

# _nested_deps KO: the depends= list of a module, from its .modinfo section
# (what depmod would write to modules.dep; kmod is not needed).
# objcopy writes to a real file: given /dev/stdout it would replace that
# symlink with a regular file (it renames its temporary output over it).
_nested_deps() {
	local tmp
	tmp=$(mktemp "${TMPDIR:-/tmp}/nested-modinfo.XXXXXX") || return 1
	objcopy -O binary --only-section=.modinfo "$1" "$tmp" 2>/dev/null &&
		tr '\0' '\n' < "$tmp" | sed -n 's/^depends=//p' | tr ',' ' '
	rm -f "$tmp"
}

# _nested_resolve NAME...: module paths, each after the modules it needs.
_nested_resolve() {
	local -A seen=()
	local order=()
	_visit() {
		local n=${1//-/_} ko d
		[ -n "${seen[$n]:-}" ] && return 0
		seen[$n]=1
		ko=$(_nested_ko "$1") || return 1
		for d in $(_nested_deps "$ko"); do _visit "$d" || return 1; done
		order+=("$ko")
	}
	local m
	for m in "$@"; do _visit "$m" || return 1; done
	printf '%s\n' "${order[@]}"
}

# _nested_stage STAGE INIT ETC MODULE...: the root of an initramfs in
# STAGE: busybox-static, INIT as /init, /dev/console, the modules with their
# dependencies in /lib/modules and their load order in STAGE/ETC/modules.
_nested_stage() {
	local stage=$1 init=$2 etc=$3 ko f; shift 3
	mkdir -p "$stage"/{bin,dev,proc,sys,tmp,lib/modules,$etc}
	cp /bin/busybox "$stage/bin/busybox"
	install -m 0755 "$init" "$stage/init"
	mknod "$stage/dev/console" c 5 1 2>/dev/null || true
	: > "$stage/$etc/modules"
	ko=$(_nested_resolve "$@") || return 1
	for f in $ko; do
		cp "$f" "$stage/lib/modules/"
		basename "$f" >> "$stage/$etc/modules"
	done
}

# nested_initramfs OUT SCRIPT [SRC=DST ...]
# Builds L1's initramfs (uncompressed newc cpio: L1 need not inflate it under
# TCG) at OUT. SCRIPT (a file, run by busybox sh in L1 from /work) is the
# test; each SRC=DST adds a host file at DST inside L1 (DST absolute, or
# relative to /work).
nested_initramfs() {
	local out=$1 script=$2; shift 2
	local stage ko f src dst
	mkdir -p "$NESTED_BUILD"
	stage=$(mktemp -d "$NESTED_BUILD/stage.XXXXXX")
	chmod 0755 "$stage"	# becomes L1's root directory
	mkdir -p "$stage"/{sbin,work}
	_nested_stage "$stage" tests/nested/l1-init etc/nested $NESTED_MODULES ||
		{ rm -rf "$stage"; return 1; }
	install -m 0755 tests/nested/l1-vfio-bind "$stage/bin/nested-vfio-bind"
	install -m 0755 tools/taskdump.sh "$stage/bin/nested-taskdump"
	install -m 0644 "$script" "$stage/etc/nested/test.sh"
	echo "$NESTED_TEST_TIMEOUT" > "$stage/etc/nested/timeout"

	[ -x "$NESTED_BUILD/kvmcheck" ] && [ "$NESTED_BUILD/kvmcheck" -nt tests/nested/kvmcheck.c ] ||
		gcc -static -O2 -Wall -Wextra -Werror -o "$NESTED_BUILD/kvmcheck" tests/nested/kvmcheck.c ||
		{ rm -rf "$stage"; return 1; }
	cp "$NESTED_BUILD/kvmcheck" "$stage/bin/kvmcheck"
	[ -x "$NESTED_BUILD/keyholder" ] && [ "$NESTED_BUILD/keyholder" -nt tests/nested/keyholder.c ] ||
		gcc -static -O2 -Wall -Wextra -Werror -o "$NESTED_BUILD/keyholder" tests/nested/keyholder.c ||
		{ rm -rf "$stage"; return 1; }
	cp "$NESTED_BUILD/keyholder" "$stage/bin/keyholder"

	for f in "$@"; do
		src=${f%%=*} dst=${f#*=}
		case $dst in /*) ;; *) dst=/work/$dst;; esac
		mkdir -p "$stage$(dirname "$dst")"
		cp -L "$src" "$stage$dst" || { rm -rf "$stage"; return 1; }
	done
	( cd "$stage" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet ) > "$out.tmp" &&
		mv "$out.tmp" "$out"
	local rc=$?
	rm -rf "$stage"
	return $rc
}

# nested_boot INITRD LOG TIMEOUT [EXTRA QEMU ARGS...]
# Boots L1 (Debian's cloud kernel) with INITRD; its serial console goes to
# LOG. Returns QEMU's status (124 if TIMEOUT seconds passed: QEMU killed).
# The AMD model with +svm,+npt gives L1 KVM-SVM with nested paging under
# TCG; -no-reboot turns a panic (panic=-1) into QEMU exiting.
# An L1 that has not started its test after NESTED_START_S seconds (default
# 90; it takes about 10) stalled at boot: multi-threaded TCG livelocks in the
# kernel's text patching, which KVM's first KVM_CREATE_VM (kvmcheck) sets off
# (docs/nested.md). It is booted once more, reported on a RETRIED line
# (tests/run.sh counts it as flaky) with the first log kept in LOG.boot1.
nested_boot() {
	local initrd=$1 log=$2 limit=$3; shift 3
	local t0=$(date +%s%N) rc boot
	rm -f "$log.boot1"	# an earlier run's
	for boot in 1 2; do
		_nested_boot_once "$initrd" "$log" "$limit" "$@"
		rc=$?
		[ $rc = 125 ] && [ $boot = 1 ] || break
		mv "$log" "$log.boot1"
		echo "RETRIED: L1 stalled before its test started (no NESTED-T test-start in ${NESTED_START_S:-90} s; log $log.boot1); booted again"
	done
	[ $rc = 125 ] && nested_log "L1 stalled before its test started twice (logs $log.boot1, $log)"
	NESTED_BOOT_MS=$(( ($(date +%s%N) - t0) / 1000000 ))
	return $rc
}

# _nested_boot_once INITRD LOG TIMEOUT [QEMU ARGS...]: one boot for
# nested_boot; 125 when L1 stalled before its test started (QEMU killed).
_nested_boot_once() {
	local initrd=$1 log=$2 limit=$3; shift 3
	local start=${NESTED_START_S:-90} pid n=0 rc started=
	# NESTED_DEBUG_BOOT_STALL=1 (tests/selftest): the first boot never starts its test.
	local debug=
	[ "${NESTED_DEBUG_BOOT_STALL:-}" = 1 ] && [ ! -e "$log.boot1" ] && debug=nexit.l1debugstall=1
	timeout --kill-after=5 "$limit" "$QEMU" -accel tcg -machine "$NESTED_MACHINE" \
		-cpu EPYC,+svm,+npt -m "$NESTED_MEM" -smp "$NESTED_SMP" \
		-nographic -no-reboot -monitor none -serial stdio \
		-kernel "$NESTED_VMLINUZ" -initrd "$initrd" \
		-append "console=ttyS0 panic=-1 ${NESTED_APPEND:-} $debug" \
		"$@" </dev/null >"$log" 2>&1 &
	pid=$!
	# Watched until the test starts, then QEMU is left to its TIMEOUT.
	while [ -z "$started" ] && kill -0 $pid 2>/dev/null; do
		if grep -aq '^NESTED-T test-start' "$log"; then
			started=1
		elif [ $n -ge "$start" ]; then
			kill -TERM $pid 2>/dev/null
			wait $pid
			return 125
		fi
		sleep 1
		n=$((n + 1))
	done
	wait $pid
	rc=$?
	# QEMU ended on its own before the test started: not a stall.
	[ $rc = 125 ] && rc=1
	return $rc
}

# nested_rc LOG: test.sh's exit status inside L1, or nothing if L1 never
# got there.
nested_rc() { sed -n 's/^NESTED-RC=\([0-9]*\).*/\1/p' "$1" | tail -n1; }

# nested_nexit: builds the static nexit L1 runs (Makefile target), or
# takes a prebuilt one from NESTED_NEXIT.
nested_nexit() {
	if [ -n "${NESTED_NEXIT:-}" ]; then
		[ -x "$NESTED_NEXIT" ] || { nested_log "NESTED_NEXIT=$NESTED_NEXIT is not executable"; return 1; }
		echo "$NESTED_NEXIT"; return 0
	fi
	make --no-print-directory -s build/nexit-static >&2 || return 1
	echo build/nexit-static
}

# nested_kernel_clean LOG: fails the test when a kernel in LOG (L1's own
# console, or an L2 guest's lines echoed into it) logged a "WARNING: CPU",
# "BUG:" or "Oops" - a Linux boot test passes only on a clean kernel log.
nested_kernel_clean() {
	local bad
	bad=$(grep -aE 'WARNING: CPU|BUG:|Oops' "$1" | tr -d '\r' | head -n 5)
	[ -z "$bad" ] || fail "kernel warning in $1: $bad"
}

# ---- L1 with the host's file system (tools/l1.sh) ------------------------
#
# One L1 machine runs any command of this host unchanged: Debian's generic
# kernel (linux-image-amd64: the cloud kernel has no 9p) mounts the host's /
# read-only over virtio-9p, under a tmpfs overlay, and l1-init runs the
# command in a chroot of it (docs/nested.md, "L1 with the host's files").
#
#   l1_prepare                  # kernel, vmlinux, depmod, cached initramfs
#   l1_run CWD CMD [ARGS...]    # boot, run CMD from CWD in L1, power off
#
# l1_run's knobs: L1_SHARES (array of host directories L1 may write, at
# the same path), L1_QEMU_ARGS (array, more QEMU arguments), L1_ENV (array
# of VAR=VALUE for the command), L1_TIMEOUT (seconds for the whole run,
# default 3000), L1_STALL (seconds without a heartbeat that make a stall,
# default 60), L1_CONSOLE (1: stream the command's output to stdout),
# L1_RUN (run directory; default a new build/l1/run.XXXXXX), L1_MEM (MiB,
# default 4096), L1_SMP (default 2), L1_APPEND (more kernel parameters),
# L1_ACCEL (QEMU -accel, default tcg; tcg,thread=single for one TCG thread,
# slower but without multi-threaded TCG's memory corruption: docs/nested.md).
# l1_run returns the command's exit status, or 125 when L1 did not report
# one: $L1_RUN/status then says why (stall, timeout, boot).
# L1's devices: intel-iommu (interrupt remapping, device IOTLB), two edu,
# and a virtio-net-pci function `l0nic` on a restrict=on user netdev
# (nothing leaves QEMU) for VFIO and Linux's own drivers in L2. A command
# in L1 appends HMP commands to $NESTED_L0_MONITOR to act on L0's devices
# (`set_link l0nic off`).
L1_DIR=${L1_DIR:-build/l1}
L1_MODULES="kvm-amd 9p 9pnet_virtio virtio_pci overlay"

# _l1_vmlinux BZIMAGE OUT: the uncompressed kernel inside a bzImage (QEMU
# boots it through its PVH ELF note): TCG then need not run the
# decompressor, ~5 s of the xz-compressed generic kernel's boot.
_l1_vmlinux() {
	local img=$1 out=$2 off
	for magic in $'\xfd7zXZ\x00' $'\x28\xb5\x2f\xfd' $'\x1f\x8b\x08'; do
		off=$(LC_ALL=C grep -abo "$magic" "$img" | head -n1 | cut -d: -f1)
		[ -n "$off" ] || continue
		tail -c +$((off + 1)) "$img" | { xz -dc --single-stream 2>/dev/null ||
			zstd -qdc 2>/dev/null || gzip -dc 2>/dev/null; } > "$out.tmp"
		if [ "$(head -c 4 "$out.tmp")" = $'\x7fELF' ]; then
			mv "$out.tmp" "$out"
			return 0
		fi
	done
	rm -f "$out.tmp"
	nested_log "cannot find an xz, zstd or gzip vmlinux in $img"
	return 1
}

l1_prepare() {
	L1_KROOT=$(guest/appliance/fetch-kernel.sh build linux-image-amd64) || return 1
	L1_KREL=$(basename "$(ls -d "$L1_KROOT"/lib/modules/*/ | head -n1)")
	mkdir -p "$L1_DIR"
	L1_VMLINUX=$L1_DIR/vmlinux-$L1_KREL
	[ -s "$L1_VMLINUX" ] || _l1_vmlinux "$(ls "$L1_KROOT"/boot/vmlinuz-* | head -n1)" "$L1_VMLINUX" ||
		return 1
	# modules.dep for modprobe inside L1 (Debian writes it at install time).
	[ -s "$L1_KROOT/lib/modules/$L1_KREL/modules.dep" ] ||
		busybox depmod -b "$L1_KROOT" "$L1_KREL" || return 1
	L1_INITRD=$L1_DIR/initramfs-$L1_KREL.cpio
	local f fresh=1
	for f in tests/nested/l1-init tests/nested/lib.sh tools/taskdump.sh tests/nested/kvmcheck.c \
		 tests/nested/keyholder.c tests/nested/l1-vfio-bind; do
		[ "$L1_INITRD" -nt "$f" ] || fresh=""
	done
	[ -n "$fresh" ] && return 0
	local script
	script=$(mktemp "${TMPDIR:-/tmp}/l1-none.XXXXXX") || return 1
	echo 'echo "host-root mode only"; exit 1' > "$script"
	NESTED_KROOT=$L1_KROOT NESTED_KREL=$L1_KREL NESTED_MODULES=$L1_MODULES NESTED_BUILD=$L1_DIR \
		nested_initramfs "$L1_INITRD" "$script"
	local rc=$?
	rm -f "$script"
	return $rc
}

# _l1_monitor RUN CMD: one human-monitor command to L1's QEMU, its answer.
_l1_monitor() {
	python3 - "$1/mon.sock" "$2" <<'PY' 2>&1
import socket, sys, time
s = socket.socket(socket.AF_UNIX)
s.settimeout(2)
s.connect(sys.argv[1])
s.sendall((sys.argv[2] + "\n").encode())
out, end = b"", time.time() + 3
while time.time() < end:
    try:
        d = s.recv(65536)
    except socket.timeout:
        break
    if not d:
        break
    out += d
sys.stdout.write(out.decode(errors="replace").replace("\r", ""))
PY
}

# _l1_env: the command's environment, as lines for bash's `.`.
_l1_env() {
	local v
	# The system's PATH: a per-user one (pyenv shims: a shell script and a
	# fork per python3) costs seconds per call under TCG.
	echo "export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
	for v in HOME LANG LC_ALL TERM CI USER $(compgen -e | grep -E '^(NEXIT_|PROBE_|NESTED_|BENCH_)'); do
		[ "$v" = NEXIT_KVM_DEVICE ] && continue	# L1 has a KVM of its own
		[ -n "${!v+x}" ] && printf 'export %s=%q\n' "$v" "${!v}"
	done
	echo "export NEXIT_WHERE=L1"
	for v in "${L1_ENV[@]}"; do printf 'export %q\n' "$v"; done
}

# _l1_monitor_requests: the command's requests to L0's monitor, one HMP
# command per line appended to RUN/l0-monitor ($NESTED_L0_MONITOR in L1;
# e.g. "set_link l0nic off" makes L0's virtio-net report a link change),
# each sent once; the answers go to RUN/l0-monitor.log. Uses l1_run's run
# and mon_done.
_l1_monitor_requests() {
	local n line
	[ -s "$run/l0-monitor" ] || return 0
	n=$(wc -l < "$run/l0-monitor")
	while [ "$mon_done" -lt "$n" ]; do
		mon_done=$((mon_done + 1))
		line=$(sed -n "${mon_done}p" "$run/l0-monitor")
		{ echo "> $line"; _l1_monitor "$run" "$line"; } >> "$run/l0-monitor.log"
	done
}

l1_run() {
	local cwd=$1; shift
	local run hb f
	local -a qargs=()
	l1_prepare || { nested_log "cannot prepare the L1 machine"; return 125; }
	if [ -n "${L1_RUN:-}" ]; then
		run=$(realpath -m "$L1_RUN"); rm -rf "$run"; mkdir -p "$run"
	else
		run=$(mktemp -d "$(realpath "$L1_DIR")/run.XXXXXX")
	fi
	L1_RUN=$run
	case $run$cwd in *[[:space:]]*) nested_log "paths with spaces are not supported: $run $cwd"; return 125;; esac
	{ printf 'cd %q || exit 125\n' "$cwd"; printf '%q ' "$@"; echo; } > "$run/cmd"
	_l1_env > "$run/env"
	echo "export NESTED_L0_MONITOR=$run/l0-monitor" >> "$run/env"
	: > "$run/shares"
	local i=0 d
	for d in "${L1_SHARES[@]}"; do
		mkdir -p "$d"
		d=$(realpath "$d")
		echo "share$i $d" >> "$run/shares"
		qargs+=(-virtfs "local,path=$d,mount_tag=share$i,security_model=none,multidevs=remap")
		i=$((i + 1))
	done
	realpath "$L1_KROOT/lib/modules/$L1_KREL" > "$run/modules"
	local limit=${L1_TIMEOUT:-3000} stall=${L1_STALL:-60} boot why
	# A machine that stalls before the command started (TCG's livelock of
	# the kernel's text patching, docs/nested.md) is booted once more: the
	# command has not run, so nothing is repeated. It is reported (a
	# RETRIED line; tests/run.sh counts it as flaky), never passed silently.
	for boot in 1 2; do
		_l1_boot
		[ "$why" = stall ] && [ $boot = 1 ] && ! grep -aq '^NESTED-T cmd-start' "$run/ctl.log" 2>/dev/null ||
			break
		for f in ctl.log console.log qemu.out stall-state.txt; do
			[ -e "$run/$f" ] && mv "$run/$f" "$run/boot1-$f"
		done
		echo "L1 stalled before its command started (no heartbeat for ${stall} s, last: ${hb:-none}; $run/boot1-stall-state.txt); booted again" > "$run/retried"
		nested_log "RETRIED: $(cat "$run/retried")"
	done
	if [ -z "$why" ] && [ -s "$run/rc" ]; then
		return "$(cat "$run/rc")"
	fi
	if [ -z "$why" ]; then
		grep -aq '^NESTED-T cmd-start' "$run/ctl.log" 2>/dev/null && why=crash || why=boot
	fi
	echo "$why" > "$run/status"
	case $why in
	stall) nested_log "L1 stopped making progress: no heartbeat for ${stall} s (last: ${hb:-none}); QEMU state in $run/stall-state.txt";;
	timeout) nested_log "L1 ran over its ${limit} s; QEMU state in $run/timeout-state.txt";;
	boot) nested_log "L1 did not start the command (logs: $run/ctl.log, $run/qemu.out)";;
	crash) nested_log "L1 ended without the command's status (logs: $run/ctl.log, $run/console.log)";;
	esac
	return 125
}

# _l1_boot: one boot of L1 for l1_run (its locals: run, qargs, limit, stall),
# watched until QEMU ends; sets why (stall, timeout or "") and hb.
_l1_boot() {
	local t0 qpid tpid="" now age hb_t cur mon_done=0
	why=""; hb=""
	local debug=""
	# Test-only (harness_selftest): L1_DEBUG_BOOT_STALL=1 makes the first
	# boot stall before its heartbeat starts, as the livelock does.
	[ "${L1_DEBUG_BOOT_STALL:-}" = 1 ] && [ "$boot" = 1 ] && debug=nexit.l1debugstall=1
	rm -f "$run/rc" "$run/mon.sock"
	t0=$(date +%s); hb_t=$t0
	"$QEMU" -accel "${L1_ACCEL:-tcg}" -machine q35,kernel-irqchip=split -cpu EPYC,+svm,+npt \
		-m "${L1_MEM:-4096}" -smp "${L1_SMP:-2}" -nodefaults -display none -no-reboot \
		-monitor "unix:$run/mon.sock,server,nowait" \
		-serial "file:$run/console.log" -serial "file:$run/ctl.log" \
		-kernel "$L1_VMLINUX" -initrd "$L1_INITRD" \
		-append "console=ttyS1 panic=-1 quiet loglevel=3 intel_iommu=on nexit.l1run=$run nexit.l1limit=$((limit - 15)) $debug ${L1_APPEND:-}" \
		-virtfs "local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap" \
		-virtfs "local,path=$run,mount_tag=l1run,security_model=none,multidevs=remap" \
		-device intel-iommu,intremap=on,device-iotlb=on -device edu -device edu \
		-netdev user,id=l0net,restrict=on \
		-device virtio-net-pci,id=l0nic,netdev=l0net,disable-legacy=on,iommu_platform=on,ats=on,romfile= \
		"${qargs[@]}" "${L1_QEMU_ARGS[@]}" </dev/null >"$run/qemu.out" 2>&1 &
	qpid=$!
	if [ "${L1_CONSOLE:-}" = 1 ]; then
		tail -n +1 -F --pid=$qpid "$run/console.log" 2>/dev/null &
		tpid=$!
	fi
	# Watch the heartbeat (a new NESTED-HB line on ttyS1 every 2 s; the
	# kernel's own complaints there do not count) and the time limit.
	while kill -0 $qpid 2>/dev/null; do
		sleep 1
		_l1_monitor_requests
		now=$(date +%s)
		cur=$(grep -a '^NESTED-HB' "$run/ctl.log" 2>/dev/null | tail -n1)
		[ "$cur" != "$hb" ] && { hb=$cur; hb_t=$now; }
		age=$((now - hb_t))
		if [ $age -gt "$stall" ]; then
			why="stall"
		elif [ $((now - t0)) -gt "$limit" ]; then
			why="timeout"
		fi
		if [ -n "$why" ]; then
			# Where L1's CPUs are, twice 2 s apart (moving or stuck?), and
			# what QEMU's own threads do (spinning vCPUs or a lock).
			{ echo "== info cpus"; _l1_monitor "$run" "info cpus"
			  echo "== info registers -a"; _l1_monitor "$run" "info registers -a"
			  sleep 2
			  echo "== info registers -a (2 s later)"; _l1_monitor "$run" "info registers -a"
			  echo "== QEMU's threads"; sh tools/taskdump.sh $qpid; } > "$run/$why-state.txt" 2>&1
			kill -TERM $qpid 2>/dev/null; sleep 1; kill -KILL $qpid 2>/dev/null
			break
		fi
	done
	wait $qpid 2>/dev/null
	[ -n "$tpid" ] && wait $tpid 2>/dev/null
	L1_WALL_S=$(( $(date +%s) - t0 ))
}
