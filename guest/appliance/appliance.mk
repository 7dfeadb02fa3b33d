# The Linux appliance (guest/appliance): Debian's cloud kernel, fetched with
# `apt-get download` at build time, an uncompressed initramfs with the virtio
# drivers and an ext4 root image, both built by `nexit image` from the
# [image] section of guest/appliance/appliance.ini.
# `make appliance` -> build/appliance/{vmlinuz,initramfs.cpio,root.img}; boot
# it with `build/nexit run --config guest/appliance/appliance.ini`.
# build.sh is idempotent (the .deb is cached in build/debs), so the target
# always runs it and picks up a newer kernel once apt-cache knows one.
.PHONY: appliance
appliance: $(BUILD)/nexit
	@guest/appliance/build.sh $(BUILD)
