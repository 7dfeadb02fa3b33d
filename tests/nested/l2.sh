# tests/nested/l2.sh - the L2 Linux guest of the real-driver tests (sourced
# after tests/nested/lib.sh and nested_need_tools): Debian's cloud kernel
# (the same package as L1's) with an initramfs of busybox, the kernel
# modules the case needs and tests/nested/l2-init.
#
#   l2_initramfs OUT "MODULES" CASE.sh...   # gzip newc cpio at OUT
#
# MODULES are module names, resolved with their dependencies from the
# kernel package (_nested_resolve); each CASE.sh lands in /etc/l2/ and runs
# when the L2 kernel command line says l2case=CASE.

l2_initramfs() {
	local out=$1 mods=$2; shift 2
	local stage f
	stage=$(mktemp -d "$NESTED_BUILD/l2stage.XXXXXX")
	chmod 0755 "$stage"
	_nested_stage "$stage" tests/nested/l2-init etc/l2 $mods || { rm -rf "$stage"; return 1; }
	for f in "$@"; do
		install -m 0644 "$f" "$stage/etc/l2/$(basename "$f")"
	done
	( cd "$stage" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet ) |
		gzip -1 > "$out.tmp" && mv "$out.tmp" "$out"
	local rc=$?
	rm -rf "$stage"
	return $rc
}
