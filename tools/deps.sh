#!/bin/sh
# Installs the Debian packages nexit needs to build, test and benchmark,
# only those that are missing (dpkg-query), with one apt-get call.
set -e
PKGS="gcc make pkg-config libinih-dev libjson-c-dev libcmocka-dev libfdt-dev libseccomp-dev
      qemu-system-x86 qemu-utils busybox-static cpio xz-utils zstd gnuplot-nox linux-perf
      binutils"
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "deps: installing$missing"
if [ "$(id -u)" != 0 ]; then SUDO=sudo; else SUDO=; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q >/dev/null
$SUDO apt-get install -y -q --no-install-recommends $missing >/dev/null
