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
# NESTED_MEM (default 1024), NESTED_SMP (default 2).
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
	mkdir -p "$stage"/{bin,sbin,dev,proc,sys,tmp,etc/nested,lib/modules,work}
	cp /bin/busybox "$stage/bin/busybox"
	install -m 0755 tests/nested/l1-init "$stage/init"
	install -m 0755 tests/nested/l1-vfio-bind "$stage/bin/nested-vfio-bind"
	mknod "$stage/dev/console" c 5 1 2>/dev/null || true

	: > "$stage/etc/nested/modules"
	ko=$(_nested_resolve $NESTED_MODULES) || { rm -rf "$stage"; return 1; }
	for f in $ko; do
		cp "$f" "$stage/lib/modules/"
		basename "$f" >> "$stage/etc/nested/modules"
	done
	install -m 0644 "$script" "$stage/etc/nested/test.sh"
	echo "$NESTED_TEST_TIMEOUT" > "$stage/etc/nested/timeout"

	[ -x "$NESTED_BUILD/kvmcheck" ] && [ "$NESTED_BUILD/kvmcheck" -nt tests/nested/kvmcheck.c ] ||
		gcc -static -O2 -Wall -Wextra -Werror -o "$NESTED_BUILD/kvmcheck" tests/nested/kvmcheck.c ||
		{ rm -rf "$stage"; return 1; }
	cp "$NESTED_BUILD/kvmcheck" "$stage/bin/kvmcheck"

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
nested_boot() {
	local initrd=$1 log=$2 limit=$3; shift 3
	local t0=$(date +%s%N) rc
	timeout --kill-after=5 "$limit" "$QEMU" -accel tcg -machine "$NESTED_MACHINE" \
		-cpu EPYC,+svm,+npt -m "$NESTED_MEM" -smp "$NESTED_SMP" \
		-nographic -no-reboot -monitor none -serial stdio \
		-kernel "$NESTED_VMLINUZ" -initrd "$initrd" \
		-append "console=ttyS0 panic=-1 ${NESTED_APPEND:-}" \
		"$@" </dev/null >"$log" 2>&1
	rc=$?
	NESTED_BOOT_MS=$(( ($(date +%s%N) - t0) / 1000000 ))
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
