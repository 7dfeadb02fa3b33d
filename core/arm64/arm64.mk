# core/arm64/arm64.mk - `make ARCH=arm64` (included by the top Makefile,
# which has the rules). Cross-builds with Debian's gcc-aarch64-linux-gnu,
# against the arm64 libraries that tools/deps.sh installs through multiarch
# (/usr/lib/aarch64-linux-gnu), a static build/arm64/nexit (the nested L1
# initramfs has no libc) and the arm64 probe guest build/arm64/guest/probe.elf.
#
# The shared roots (core/, fallback/, cli/) are built as on x86 and call the
# arch hooks (core/arch.h) in core/arm64. tune/, bench/ and image/ are x86
# only so far: cli/ leaves them out.
CC       := aarch64-linux-gnu-gcc
AR       := aarch64-linux-gnu-ar
BUILD    := build/arm64
STATIC   := -static
ARCH_DIRS  := $(ARM64_DIRS)
EXTRA_DIRS :=
# Every shared file is arm64's too (core/pci.c with core/arm64/pci.c's host
# bridge, all of passthrough/: virtio-blk needs liburing).
NOT_YET  :=
TARGETS  := $(BUILD)/nexit probe
ARCH_MK  := guest/probe/arm64/probe.mk
# Debian multiarch puts the arm64 libraries where the cross linker does not
# look; libfdt-dev cannot be co-installed for two architectures, so its
# arm64 package is unpacked (not installed) into build/arm64/sysroot.
SYSROOT  := $(BUILD)/sysroot
LIBFDT_A := $(SYSROOT)/usr/lib/aarch64-linux-gnu/libfdt.a
LINK_DEPS := $(LIBFDT_A)
LIBS     := -L$(SYSROOT)/usr/lib/aarch64-linux-gnu -L/usr/lib/aarch64-linux-gnu \
            -linih -ljson-c -luring -lpthread -lfdt -lseccomp

$(BUILD)/cli/%.o: ALL_CFLAGS += -DNX_WITHOUT_TUNE -DNX_WITHOUT_BENCH -DNX_WITHOUT_IMAGE

$(LIBFDT_A):
	@mkdir -p $(BUILD)/debs $(SYSROOT)
	cd $(BUILD)/debs && apt-get download -q libfdt-dev:arm64 >/dev/null 2>&1 || \
		{ echo "arm64: apt-get download libfdt-dev:arm64 failed (make deps; apt-get update)"; exit 1; }
	dpkg-deb -x $$(ls $(BUILD)/debs/libfdt-dev_*_arm64.deb | tail -n1) $(SYSROOT)
	@test -f $@
