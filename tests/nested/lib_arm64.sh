# tests/nested/lib_arm64.sh - the arm64 variant of the nested harness
# (sourced after tests/nested/lib.sh by tests/nested/test_arm64_*.sh; bash).
#
# L0 (this host) runs qemu-system-aarch64 with TCG: "virt" with EL2
# (virtualization=on), a GICv4 and an SMMUv3, and QEMU's edu device. L1 is
# Debian's arm64 kernel (KVM built in, kvm-arm.mode=nvhe), with the vfio
# modules of the same package and busybox-static:arm64; it runs the static
# arm64 nexit, which runs the arm64 probe guest as L2 on L1's /dev/kvm.
# L1's /init is the shared tests/nested/l1-init.
#
#   nested_a64_need_tools              # skip (77) without QEMU/cross tools/packages
#   nested_a64_initramfs OUT SCRIPT [SRC=DST]...
#   nested_a64_boot INITRD LOG TIMEOUT [QEMU ARGS...]
# Knobs: NESTED_A64_APPEND (L1 cmdline additions), NESTED_A64_IOMMU (QEMU
# virt's iommu=, default smmuv3; empty = no IOMMU), NESTED_MODULES,
# NESTED_TEST_TIMEOUT, NESTED_MEM, NESTED_SMP (as in lib.sh).

A64_BUILD=build/arm64
QEMU_A64=${QEMU_A64:-qemu-system-aarch64}

# The module helpers of lib.sh read .modinfo with objcopy: arm64 modules need
# the cross binutils' objcopy.
objcopy() { aarch64-linux-gnu-objcopy "$@"; }

# _a64_fetch PKG DIR: apt-get download PKG:arm64 and unpack it into DIR once.
_a64_fetch() {
	local pkg=$1 dir=$2 deb
	[ -d "$dir" ] && [ -n "$(ls -A "$dir" 2>/dev/null)" ] && return 0
	mkdir -p "$A64_BUILD/debs" "$dir"
	deb=$(ls "$A64_BUILD"/debs/"${pkg}"_*_arm64.deb 2>/dev/null | tail -n1)
	if [ -z "$deb" ]; then
		( cd "$A64_BUILD/debs" && apt-get download -q "$pkg:arm64" ) >/dev/null 2>&1 || return 1
		deb=$(ls "$A64_BUILD"/debs/"${pkg}"_*_arm64.deb | tail -n1)
	fi
	dpkg-deb -x "$deb" "$dir"
}

nested_a64_need_tools() {
	local pkg
	command -v "$QEMU_A64" >/dev/null || skip "no $QEMU_A64 (apt-get install qemu-system-arm)"
	command -v aarch64-linux-gnu-gcc >/dev/null ||
		skip "no aarch64-linux-gnu-gcc (apt-get install gcc-aarch64-linux-gnu)"
	command -v aarch64-linux-gnu-objcopy >/dev/null || skip "no aarch64-linux-gnu-objcopy"
	command -v cpio >/dev/null || skip "no cpio"
	# The versioned kernel the meta-package points at (as fetch-kernel.sh does for amd64).
	pkg=${NEXIT_A64_KERNEL_PKG:-$(apt-cache depends linux-image-arm64:arm64 2>/dev/null |
		sed -n 's/^ *Depends: \(linux-image-[0-9][^:]*-arm64\).*/\1/p' | head -n1)}
	[ -n "$pkg" ] || skip "apt-cache knows no linux-image-arm64:arm64 (dpkg --add-architecture arm64; apt-get update)"
	_a64_fetch "$pkg" "$A64_BUILD/kernel/$pkg" || skip "cannot apt-get download $pkg:arm64"
	_a64_fetch busybox-static "$A64_BUILD/busybox" || skip "cannot apt-get download busybox-static:arm64"
	NESTED_KROOT=$A64_BUILD/kernel/$pkg
	NESTED_KREL=$(basename "$(ls -d "$NESTED_KROOT"/lib/modules/*/ | head -n1)")
	NESTED_VMLINUZ=$(ls "$NESTED_KROOT"/boot/vmlinuz-* | head -n1)
	NESTED_BUILD=$A64_BUILD/nested
}

# nested_a64_initramfs OUT SCRIPT [SRC=DST...]: as nested_initramfs (lib.sh),
# with arm64 busybox, an arm64 kvmcheck, and debugfs mounted by the script.
nested_a64_initramfs() {
	local out=$1 script=$2; shift 2
	local stage ko f src dst
	mkdir -p "$NESTED_BUILD"
	stage=$(mktemp -d "$NESTED_BUILD/stage.XXXXXX")
	chmod 0755 "$stage"
	mkdir -p "$stage"/{bin,sbin,dev,proc,sys,tmp,etc/nested,lib/modules,work}
	cp "$A64_BUILD/busybox/bin/busybox" "$stage/bin/busybox"
	install -m 0755 tests/nested/l1-init "$stage/init"
	install -m 0755 tests/nested/l1-vfio-bind "$stage/bin/nested-vfio-bind"
	install -m 0755 tools/taskdump.sh "$stage/bin/nested-taskdump"
	: > "$stage/etc/nested/modules"
	ko=$(_nested_resolve $NESTED_MODULES) || { rm -rf "$stage"; return 1; }
	for f in $ko; do
		cp "$f" "$stage/lib/modules/"
		basename "$f" >> "$stage/etc/nested/modules"
	done
	install -m 0644 "$script" "$stage/etc/nested/test.sh"
	echo "$NESTED_TEST_TIMEOUT" > "$stage/etc/nested/timeout"
	[ -x "$NESTED_BUILD/kvmcheck" ] && [ "$NESTED_BUILD/kvmcheck" -nt tests/nested/kvmcheck.c ] ||
		aarch64-linux-gnu-gcc -static -O2 -Wall -Wextra -Werror -o "$NESTED_BUILD/kvmcheck" \
			tests/nested/kvmcheck.c || { rm -rf "$stage"; return 1; }
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

# nested_a64_boot INITRD LOG TIMEOUT [EXTRA QEMU ARGS...]
# virtualization=on gives L1 EL2 (KVM), gic-version=4 a GICv4 (direct vLPI
# injection), iommu=smmuv3 an IOMMU for VFIO.
nested_a64_boot() {
	local initrd=$1 log=$2 limit=$3; shift 3
	local t0=$(date +%s%N) rc
	local iommu=${NESTED_A64_IOMMU-smmuv3}
	timeout --kill-after=5 "$limit" "$QEMU_A64" -accel tcg \
		-machine "virt,virtualization=on,gic-version=4${iommu:+,iommu=$iommu}" \
		-cpu max -m "$NESTED_MEM" -smp "$NESTED_SMP" \
		-nographic -no-reboot -monitor none -serial stdio \
		-kernel "$NESTED_VMLINUZ" -initrd "$initrd" \
		-append "console=ttyAMA0 panic=-1 kvm-arm.mode=nvhe ${NESTED_A64_APPEND:-}" \
		"$@" </dev/null >"$log" 2>&1
	rc=$?
	NESTED_BOOT_MS=$(( ($(date +%s%N) - t0) / 1000000 ))
	return $rc
}

# nested_a64_appliance OUT: the arm64 appliance initramfs (gzip newc):
# busybox-static:arm64 and guest/appliance/init, which prints
# NEXIT-APPLIANCE-READY and powers off (PSCI SYSTEM_OFF on arm64).
nested_a64_appliance() {
	local out=$1 st
	st=$(mktemp -d "$NESTED_BUILD/app.XXXXXX")
	mkdir -p "$st"/{bin,proc,sys,dev}
	cp "$A64_BUILD/busybox/bin/busybox" "$st/bin/busybox"
	install -m 0755 guest/appliance/init "$st/init"
	( cd "$st" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet ) | gzip -1 > "$out"
	local rc=$?
	rm -rf "$st"
	return $rc
}
