#!/bin/bash
# build.sh [BUILD_DIR] - builds the nexit appliance:
#   BUILD_DIR/appliance/vmlinuz            Debian's cloud kernel (bzImage)
#   BUILD_DIR/appliance/initramfs.cpio.gz  busybox-static + guest/appliance/init
# The kernel comes from fetch-kernel.sh (apt-get download at build time).
# Idempotent: re-running only redoes what changed.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-build}
out="$build/appliance"
die() { echo "nexit: error: appliance: $*" >&2; exit 1; }

busybox=${BUSYBOX:-/bin/busybox}
[ -x "$busybox" ] || die "no $busybox (apt-get install busybox-static)"
# A dynamic busybox would need a libc in the initramfs.
if file -L "$busybox" 2>/dev/null | grep -q 'dynamically linked'; then
	die "$busybox is dynamically linked (apt-get install busybox-static)"
fi
command -v cpio >/dev/null || die "no cpio (apt-get install cpio)"

kroot=$("$here/fetch-kernel.sh" "$build")
mkdir -p "$out"
vmlinuz=$(ls "$kroot"/boot/vmlinuz-* | head -n1)
cmp -s "$vmlinuz" "$out/vmlinuz" || cp "$vmlinuz" "$out/vmlinuz"
basename "$vmlinuz" | sed 's/^vmlinuz-//' > "$out/kernel-release"

# initramfs (newc cpio, gzip): /init, /bin/busybox, the mount points and
# /dev/console (the kernel opens it for init's stdio before devtmpfs).
if [ ! -e "$out/initramfs.cpio.gz" ] || [ "$here/init" -nt "$out/initramfs.cpio.gz" ] ||
   [ "$busybox" -nt "$out/initramfs.cpio.gz" ]; then
	stage=$(mktemp -d "$out/stage.XXXXXX")
	trap 'rm -rf "$stage"' EXIT
	chmod 0755 "$stage"	# becomes the root directory
	mkdir -p "$stage"/{bin,dev,proc,sys,tmp}
	cp "$busybox" "$stage/bin/busybox"
	install -m 0755 "$here/init" "$stage/init"
	mknod "$stage/dev/console" c 5 1 2>/dev/null || true	# needs root; the kernel's built-in cpio has one too
	( cd "$stage" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet ) |
		gzip -9 > "$out/initramfs.cpio.gz.tmp"
	mv "$out/initramfs.cpio.gz.tmp" "$out/initramfs.cpio.gz"
fi
echo "appliance: $out/vmlinuz ($(cat "$out/kernel-release")) $out/initramfs.cpio.gz"
