#!/bin/bash
# vmlinux.sh BZIMAGE OUT - the uncompressed kernel (an ELF vmlinux) inside a
# bzImage, for nexit's PVH entry (core/x86/pvh.c): the guest then skips the
# decompressor. The setup header (Documentation/arch/x86/boot.rst) says where
# the compressed payload is: payload_offset (0x248) and payload_length
# (0x24c), counted from the protected-mode code, which starts after the
# (setup_sects (0x1f1) + 1) * 512 bytes of real-mode setup. The kernel's
# build appends the uncompressed size (4 bytes) to every payload; the
# compressor is told by the payload's magic. Fails unless the result is an
# ELF file with a PVH entry note (readelf -n: Xen, PHYS32_ENTRY).
set -euo pipefail
bz=${1:?usage: vmlinux.sh BZIMAGE OUT} out=${2:?usage: vmlinux.sh BZIMAGE OUT}
die() { echo "nexit: error: vmlinux.sh: $*" >&2; exit 1; }
u8() { od -An -tu1 -j "$1" -N1 "$bz" | tr -d ' '; }
u32() { od -An -tu4 -j "$1" -N4 "$bz" | tr -d ' '; }

[ "$(od -An -c -j 0x202 -N4 "$bz" | tr -d ' ')" = HdrS ] || die "$bz is not a bzImage"
[ "$(od -An -tx2 -j 0x206 -N2 "$bz" | tr -d ' ')" \> 0208 ] || die "$bz: boot protocol < 2.08 (no payload fields)"
sects=$(u8 $((0x1f1))); [ "$sects" = 0 ] && sects=4
start=$(( (sects + 1) * 512 + $(u32 $((0x248))) ))
len=$(( $(u32 $((0x24c))) - 4 ))
tmp=$out.tmp.$$
trap 'rm -f "$tmp" "$tmp.z"' EXIT
dd if="$bz" of="$tmp.z" bs=1M iflag=skip_bytes,count_bytes skip=$start count=$len status=none
case $(od -An -tx1 -N4 "$tmp.z" | tr -d ' ') in
02214c18) lz4 -dc "$tmp.z" > "$tmp" || die "lz4 failed (apt-get install lz4)";;
1f8b*) gzip -dc "$tmp.z" > "$tmp";;
fd377a58) xz -dc "$tmp.z" > "$tmp";;
28b52ffd) zstd -qdc "$tmp.z" > "$tmp" || die "zstd failed (apt-get install zstd)";;
*) die "$bz: unknown payload compression (magic $(od -An -tx1 -N4 "$tmp.z"))";;
esac
[ "$(od -An -c -j1 -N3 "$tmp" | tr -d ' ')" = ELF ] || die "$bz: the payload is not an ELF vmlinux"
readelf -n "$tmp" 2>/dev/null | grep -q 'Xen.*0x00000012' ||
	die "$bz: the vmlinux has no PVH entry note (a kernel without CONFIG_PVH)"
mv "$tmp" "$out"
