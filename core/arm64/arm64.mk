# core/arm64/arm64.mk - `make ARCH=arm64` (included by the top Makefile).
# Cross-builds with Debian's gcc-aarch64-linux-gnu, against the arm64
# libraries that tools/deps.sh installs through multiarch
# (/usr/lib/aarch64-linux-gnu), a static build/arm64/nexit (the nested L1
# initramfs has no libc) and the arm64 probe guest build/arm64/guest/probe.elf.
#
# The arch-neutral core files, the VM, guest memory and the command line with
# its composition root (cli/) are shared with x86; the arch hooks they call
# (core/arch.h) are in core/arm64. tune/, bench/ and image/ are x86 only so far:
# cli/ leaves them out.
CC       := aarch64-linux-gnu-gcc
BUILD    := build/arm64
# Debian multiarch puts the arm64 libraries where the cross linker does not
# look; libfdt-dev cannot be co-installed for two architectures, so its
# arm64 package is unpacked (not installed) into build/arm64/sysroot.
SYSROOT  := $(BUILD)/sysroot
LIBFDT_A := $(SYSROOT)/usr/lib/aarch64-linux-gnu/libfdt.a
LIBS     := -L$(SYSROOT)/usr/lib/aarch64-linux-gnu -L/usr/lib/aarch64-linux-gnu \
            -linih -ljson-c -lpthread -lfdt -lseccomp

ARM64_SHARED := core/log.c core/bus.c core/config.c core/irq.c core/stats.c \
                core/vcpu.c core/serial.c core/vm.c core/mem.c core/control.c core/unixsock.c core/notify.c \
                core/sandbox.c \
                core/kvm_kind.c \
                fallback/gate.c fallback/storm.c fallback/irqthread.c \
                cli/run.c cli/stat.c cli/stop.c cli/control_client.c
SUBDIRS  := core/arm64 passthrough/arm64 fallback/arm64
LIB_SRCS := $(ARM64_SHARED) $(foreach d,$(SUBDIRS),$(wildcard $(d)/*.c))
LIB_OBJS := $(LIB_SRCS:%.c=$(BUILD)/%.o)
HDRS     := $(wildcard core/*.h core/x86/*.h) fallback/fallback.h passthrough/passthrough.h cli/cli.h \
            $(foreach d,$(SUBDIRS),$(wildcard $(d)/*.h))

.PHONY: all probe
all: $(BUILD)/nexit probe

$(BUILD)/%.o: %.c $(HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c $< -o $@

$(BUILD)/libnexit.a: $(LIB_OBJS)
	@rm -f $@
	aarch64-linux-gnu-ar rcs $@ $^

$(BUILD)/cli/%.o: ALL_CFLAGS += -DNX_WITHOUT_TUNE -DNX_WITHOUT_BENCH -DNX_WITHOUT_IMAGE

$(BUILD)/nexit: $(BUILD)/cli/main.o $(BUILD)/libnexit.a $(LIBFDT_A)
	$(CC) $(ALL_CFLAGS) -static -o $@ $(filter %.o %/libnexit.a,$^) $(LIBS)

$(LIBFDT_A):
	@mkdir -p $(BUILD)/debs $(SYSROOT)
	cd $(BUILD)/debs && apt-get download -q libfdt-dev:arm64 >/dev/null 2>&1 || \
		{ echo "arm64: apt-get download libfdt-dev:arm64 failed (make deps; apt-get update)"; exit 1; }
	dpkg-deb -x $$(ls $(BUILD)/debs/libfdt-dev_*_arm64.deb | tail -n1) $(SYSROOT)
	@test -f $@

include guest/probe/arm64/probe.mk
