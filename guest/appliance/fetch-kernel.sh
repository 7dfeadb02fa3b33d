#!/bin/bash
# fetch-kernel.sh BUILD_DIR - fetches Debian's packaged cloud kernel with
# `apt-get download` and unpacks it under BUILD_DIR/kernel/<package>/.
# Prints that directory on stdout (it holds boot/vmlinuz-* and
# lib/modules/<version>/). The .deb is cached in BUILD_DIR/debs/ and never
# committed.
#
# The package is picked with apt-cache so the recipe keeps working when
# Debian moves on: the versioned linux-image-*-cloud-amd64 that the
# meta-package linux-image-cloud-amd64 currently depends on. Override with
# NEXIT_KERNEL_PKG=linux-image-<version>-cloud-amd64.
# A second argument names another meta-package: the nested L1 machine uses
# Debian's generic kernel, linux-image-amd64 (it has the 9p modules the
# cloud kernel lacks; tests/nested/lib.sh).
set -euo pipefail
build=${1:?usage: fetch-kernel.sh BUILD_DIR [META-PACKAGE]}
meta=${2:-linux-image-cloud-amd64}

die() { echo "nexit: error: appliance: $*" >&2; exit 1; }

pkg=""
[ "$meta" = linux-image-cloud-amd64 ] && pkg=${NEXIT_KERNEL_PKG:-}
if [ -z "$pkg" ]; then
	# "  Depends: linux-image-6.1.0-56-cloud-amd64" -> the versioned package.
	pkg=$(apt-cache depends "$meta" 2>/dev/null |
	      sed -n 's/^ *Depends: \(linux-image-[^ ]*-amd64\)$/\1/p' | head -n1)
	[ -n "$pkg" ] || die "apt-cache knows no $meta (run apt-get update)"
fi

root="$build/kernel/$pkg"
if [ ! -e "$root/.unpacked" ]; then
	mkdir -p "$build/debs"
	deb=$(ls "$build/debs/${pkg}_"*.deb 2>/dev/null | head -n1 || true)
	if [ -z "$deb" ]; then
		echo "appliance: apt-get download $pkg" >&2
		( cd "$build/debs" && apt-get download -q "$pkg" >&2 ) ||
			die "apt-get download $pkg failed"
		deb=$(ls "$build/debs/${pkg}_"*.deb | head -n1)
	fi
	rm -rf "$root"
	mkdir -p "$root"
	dpkg-deb -x "$deb" "$root" || die "cannot unpack $deb"
	ls "$root"/boot/vmlinuz-* >/dev/null 2>&1 || die "$deb has no boot/vmlinuz-*"
	touch "$root/.unpacked"
fi
echo "$root"
