#!/bin/bash
# build.sh [BUILD_DIR] - builds the nexit appliance (make appliance):
#   BUILD_DIR/appliance/vmlinuz          Debian's cloud kernel (bzImage)
#   BUILD_DIR/appliance/vmlinux          the same, uncompressed (vmlinux.sh),
#                                        booted through its PVH entry
#   BUILD_DIR/appliance/modules          -> that kernel's lib/modules/<release>
#   BUILD_DIR/appliance/initramfs.cpio   } nexit image --config
#   BUILD_DIR/appliance/root.img         } guest/appliance/appliance.ini
# The kernel comes from fetch-kernel.sh (apt-get download at build time);
# everything else from the [image] section of appliance.ini, built by
# BUILD_DIR/nexit (make builds it first). Idempotent: the root image is kept
# (with what the appliance wrote) unless its inputs changed.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-build}
out="$build/appliance"
die() { echo "nexit: error: appliance: $*" >&2; exit 1; }

busybox=${BUSYBOX:-/bin/busybox}
[ -x "$busybox" ] || die "no $busybox (apt-get install busybox-static)"
[ -x "$build/nexit" ] || make --no-print-directory -s -C "$here/../.." "$build/nexit" >&2 ||
	die "cannot build $build/nexit"

kroot=$("$here/fetch-kernel.sh" "$build")
mkdir -p "$out"
vmlinuz=$(ls "$kroot"/boot/vmlinuz-* | head -n1)
release=$(basename "$vmlinuz" | sed 's/^vmlinuz-//')
cmp -s "$vmlinuz" "$out/vmlinuz" || cp "$vmlinuz" "$out/vmlinuz"
[ "$out/vmlinux" -nt "$out/vmlinuz" ] || "$here/vmlinux.sh" "$out/vmlinuz" "$out/vmlinux"
echo "$release" > "$out/kernel-release"
# The modules of exactly this kernel, where appliance.ini looks for them.
ln -sfn "$(cd "$kroot/lib/modules/$release" && pwd)" "$out/modules"

# The image paths in appliance.ini are under build/: a BUILD_DIR elsewhere
# gets a copy of the file with its paths moved there.
ini="$here/appliance.ini"
if [ "$build" != build ]; then
	sed "s|build/appliance/|$out/|g" "$ini" > "$out/appliance.ini"
	ini="$out/appliance.ini"
fi
"$build/nexit" image --config "$ini" >&2 || die "nexit image failed"
echo "appliance: $out/vmlinuz $out/vmlinux ($release) $out/initramfs.cpio $out/root.img"
