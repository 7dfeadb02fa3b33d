#!/bin/bash
# image: `nexit image` end to end, without root's powers being used (no
# mount, no mknod): an initramfs read back with cpio (entries, device node,
# modules in dependency order from their .modinfo) and an ext4 root read
# back with debugfs and checked with e2fsck; images kept when nothing
# changed, rebuilt when an input did or with --force; one error line for
# each kind of bad input.
# test: needs=none
source "$(dirname "$0")/../lib.sh"
[ -x "$NEXIT" ] || skip "build nexit first (make)"
for t in cpio debugfs e2fsck mke2fs python3; do
	command -v $t >/dev/null || skip "no $t"
done
[ -x /bin/busybox ] || skip "no /bin/busybox (apt-get install busybox-static)"
T=$(mktemp -d /tmp/nexit-image.XXXXXX)
trap 'rm -rf "$T"' EXIT

# Fake kernel modules: ELF64 relocatables whose .modinfo names dependencies.
python3 - "$T/mods/kernel" <<'PY'
import os, struct, sys
def ko(path, depends):
    mi = b"license=GPL\0depends=" + depends.encode() + b"\0"
    shstr = b"\0.modinfo\0.shstrtab\0"
    mi_off = 64; ss_off = mi_off + len(mi); sh_off = (ss_off + len(shstr) + 7) & ~7
    eh = b"\x7fELF" + bytes([2, 1, 1]) + bytes(9) + struct.pack("<HHIQQQIHHHHHH", 1, 62, 1, 0, 0,
         sh_off, 0, 64, 0, 0, 64, 3, 2)
    sh = bytes(64) + struct.pack("<IIQQQQIIQQ", 1, 1, 0, 0, mi_off, len(mi), 0, 0, 1, 0) \
         + struct.pack("<IIQQQQIIQQ", 10, 3, 0, 0, ss_off, len(shstr), 0, 0, 1, 0)
    data = eh + mi + shstr
    data += bytes(sh_off - len(data)) + sh
    os.makedirs(os.path.dirname(path), exist_ok=True)
    open(path, "wb").write(data)
d = sys.argv[1]
ko(d + "/drivers/virtio/virtio.ko", "")
ko(d + "/drivers/virtio/virtio_ring.ko", "virtio")
ko(d + "/drivers/block/virtio_blk.ko", "virtio,virtio_ring")
ko(d + "/drivers/acpi/button.ko", "")
PY
echo "hello from the image" > "$T/motd"
cat > "$T/a.ini" <<EOF2
[vm]
memory = 128M
[image]
initramfs = $T/initramfs.cpio
modules_dir = $T/mods
modules = virtio-blk button
root = $T/root.img
root_size = 16M
label = testroot
busybox = /bin/busybox
init = guest/appliance/init
files = $T/motd:/etc/motd
EOF2
out=$("$NEXIT" image --config "$T/a.ini" 2>&1) || fail "nexit image failed: $out"

# The initramfs as the kernel will unpack it.
list=$(cpio -itv < "$T/initramfs.cpio" 2>/dev/null)
grep -q '^crw-------  *1 root  *root  *5, *1 .* dev/console$' <<<"$list" || fail "no /dev/console: $list"
grep -q '^-rwxr-xr-x .* root  *root .* init$' <<<"$list" || fail "no /init"
grep -q ' bin/busybox$' <<<"$list" || fail "no busybox"
order=$(cd "$T" && cpio -i --to-stdout etc/nexit/modules < initramfs.cpio 2>/dev/null | tr '\n' ' ')
[ "$order" = "virtio.ko virtio_ring.ko virtio_blk.ko button.ko " ] || fail "module order: '$order'"
echo "image: initramfs: /init, busybox, /dev/console, modules in order: $order"

# The root: ext4, labelled, clean, with its files.
dumpe2fs -h "$T/root.img" 2>/dev/null | grep -q 'volume name: *testroot' || fail "label"
e2fsck -fn "$T/root.img" >/dev/null 2>&1 || fail "e2fsck finds errors in root.img"
[ "$(debugfs -R 'cat /etc/motd' "$T/root.img" 2>/dev/null)" = "hello from the image" ] || fail "motd"
debugfs -R 'stat /sbin/init' "$T/root.img" 2>/dev/null | grep -q 'Mode:  0755' || fail "/sbin/init mode"
cmp -s <(debugfs -R 'cat /bin/busybox' "$T/root.img" 2>/dev/null) /bin/busybox || fail "busybox differs"
echo "image: root: ext4 'testroot', e2fsck clean, /sbin/init, busybox, /etc/motd"

# Kept when nothing changed (what the appliance wrote survives), rebuilt
# when an input changed or with --force.
m1=$(stat -c %Y.%s "$T/root.img"); i1=$(stat -c %i "$T/root.img")
sleep 1.1
"$NEXIT" image --config "$T/a.ini" >/dev/null 2>&1 || fail "second run failed"
[ "$(stat -c %i "$T/root.img")" = "$i1" ] || fail "root.img rebuilt with nothing changed"
touch "$T/motd"
"$NEXIT" image --config "$T/a.ini" >/dev/null 2>&1 || fail "third run failed"
[ "$(stat -c %i "$T/root.img")" != "$i1" ] || fail "root.img not rebuilt after its file changed"
i2=$(stat -c %i "$T/root.img")
"$NEXIT" image --config "$T/a.ini" --force >/dev/null 2>&1 || fail "--force failed"
[ "$(stat -c %i "$T/root.img")" != "$i2" ] || fail "--force did not rebuild"
echo "image: kept when unchanged, rebuilt on a changed input and with --force"

# Bad input: one error line, non-zero exit, the old image still there.
bad() {	# sed expression on a.ini, expected message
	sed "$1" "$T/a.ini" > "$T/b.ini"
	out=$("$NEXIT" image --config "$T/b.ini" --force 2>&1); rc=$?
	[ $rc != 0 ] && [ "$(grep -c '^nexit: error:' <<<"$out")" = 1 ] && grep -q "$2" <<<"$out" ||
		fail "'$1': rc=$rc: $out"
	[ -s "$T/root.img" ] && [ ! -e "$T/root.img.tmp" ] || fail "'$1' left no or half an image"
}
bad 's|^busybox = .*|busybox = /bin/ls|' "dynamically linked"
bad 's|^modules = .*|modules = virtio_blk nosuch|' "module nosuch"
bad 's|^init = .*|init = /nonexistent/init|' "/nonexistent/init"
head -c 6M /dev/zero | tr '\0' x > "$T/big"
bad "s|^root_size = .*|root_size = 4M|; s|^files = .*|files = $T/big:/big|" "mke2fs -d failed"
bad 's|^files = .*|files = /etc/hostname|' "SOURCE:/absolute/destination"
bad 's|^label = .*|labels = x|' "unknown key 'labels'"
out=$("$NEXIT" image 2>&1); [ $? = 2 ] && grep -q "usage: nexit image" <<<"$out" || fail "no --config: $out"
# nexit run takes the same file: [image] is not its business. The config is
# parsed before KVM is opened, so on a host without /dev/kvm the KVM error
# (not a config error) shows it was taken too.
out=$("$NEXIT" run --config "$T/a.ini" --kernel /nonexistent --timeout 10 2>&1)
grep -q -e "kernel '/nonexistent'" -e "/dev/kvm does not exist" <<<"$out" ||
	fail "nexit run refused the [image] section: $out"
echo "image: pass"
