# The Linux appliance (guest/appliance): Debian's cloud kernel, fetched with
# `apt-get download` at build time, and a busybox-static initramfs.
# `make appliance` -> build/appliance/{vmlinuz,initramfs.cpio.gz}; boot it
# with `build/nexit run --config guest/appliance/appliance.ini`.
# build.sh is idempotent (the .deb is cached in build/debs), so the target
# always runs it and picks up a newer kernel once apt-cache knows one.
.PHONY: appliance
appliance:
	@guest/appliance/build.sh $(BUILD)
