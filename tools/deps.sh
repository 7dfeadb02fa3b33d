#!/bin/sh
# Installs the Debian packages nexit needs to build, test and benchmark,
# only those that are missing (dpkg-query), with one apt-get call.
# The arm64 build (make ARCH=arm64, docs/arm64.md) and its nested test need
# the cross compiler, qemu-system-aarch64 and the arm64 libraries through
# Debian multiarch: arm64 is added as a foreign architecture once.
# acpica-tools: iasl, used only by tests/unit/test_acpi.c to disassemble the
# ACPI tables nexit builds.
# liburing-dev: io_uring for virtio-blk's I/O thread (liburing.a: nexit is
# static). e2fsprogs: mke2fs -d builds the appliance's root image.
# clang + libclang-rt-dev: libFuzzer (-fsanitize=fuzzer) for tests/fuzz
# (make fuzz; make test runs each harness a few seconds).
# systemd + man-db: systemd-analyze verify and man -l check the unit and the
# man pages `make install` installs (tests/integration/unit_verify.sh, man_pages.sh).
# libseccomp-dev: the sandbox (core/sandbox.c), linked statically.
# dpdk-dev: dpdk-testpmd (Debian 12 ships it there, not in the dpdk runtime
# package), the vhost-user backend of the net bench case and net_smoke.sh.
set -e
PKGS="gcc make pkg-config libinih-dev libjson-c-dev libcmocka-dev libfdt-dev libseccomp-dev
      qemu-system-x86 qemu-utils busybox-static cpio xz-utils zstd gnuplot-nox linux-perf
      binutils acpica-tools python3 bc dpdk-dev liburing-dev e2fsprogs clang libclang-rt-dev
      systemd man-db"
PKGS_ARM64="gcc-aarch64-linux-gnu libc6-dev-arm64-cross binutils-aarch64-linux-gnu qemu-system-arm
      libinih-dev:arm64 libjson-c-dev:arm64 libseccomp-dev:arm64 liburing-dev:arm64"
# libfdt-dev is not Multi-Arch: same (its arm64 and amd64 packages replace
# each other), so core/arm64/arm64.mk unpacks libfdt-dev:arm64 into
# build/arm64/sysroot with apt-get download instead of installing it.
[ "${NEXIT_NO_ARM64:-}" ] && PKGS_ARM64=""
if [ "$(id -u)" != 0 ]; then SUDO=sudo; else SUDO=; fi
export DEBIAN_FRONTEND=noninteractive
update=""
if [ -n "$PKGS_ARM64" ] && ! dpkg --print-foreign-architectures | grep -qx arm64; then
	echo "deps: adding the arm64 architecture (dpkg multiarch)"
	$SUDO dpkg --add-architecture arm64
	update=1
fi
missing=""
for p in $PKGS $PKGS_ARM64; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "deps: installing$missing"
$SUDO apt-get update -q >/dev/null
$SUDO apt-get install -y -q --no-install-recommends $missing >/dev/null
