# nexit - a low-latency KVM hypervisor for appliances.
# `make run` and `make test` are the whole set-up on a fresh Debian 12 machine.

CC       ?= gcc
ARCH     ?= x86_64
PREFIX   ?= /usr/local
DESTDIR  ?=
BUILD    ?= build

CFLAGS_BASE := -std=gnu11 -O2 -g -Wall -Wextra -Werror -D_GNU_SOURCE -I. \
               -Wno-unused-parameter -Wno-missing-field-initializers
LIBS     := -linih -ljson-c -luring -lpthread -lfdt -lseccomp -lm
CFLAGS   ?=
# nexit and nexit-devd are linked statically (as Firecracker is): no
# dynamic loader at start-up and no shared-library pages in the VMM's RSS
# (measured: 2.2 MiB dynamic, 1.4 MiB static, beyond guest RAM). The
# sanitizer build links dynamically (ASan does not support -static).
STATIC   ?= -static
ALL_CFLAGS = $(CFLAGS_BASE) $(EXTRA_CFLAGS) $(CFLAGS)

AR       := ar

# One set of build rules for every arch: nexit is the shared roots, the
# arch's own folders (hooks into the shared code, docs/architecture.md) and
# the subsystems the arch has. Every C file of those folders is part of the
# binary (main.c files are entry points) but the shared files an arch does
# not build yet (NOT_YET). The arch's fragment, core/<arch>/<arch>.mk, sets
# its toolchain, folders, targets and the fragments it includes.
SHARED_DIRS := cli core passthrough fallback
X86_DIRS    := core/x86 fallback/x86
ARM64_DIRS  := core/arm64 fallback/arm64
# arm64 files that define arch hooks (names each arch defines once:
# nx_arch_*, nx_fallback_init, nx_passthrough_init, ...) or need arm64's
# <asm/kvm.h>. The rest of arm64 is plain C a host build links too (the unit
# tests, tests/tests.mk).
ARM64_HOOKS := core/arm64/arch.c core/arm64/memmap.c core/arm64/msi.c core/arm64/vcpu_init.c \
               core/arm64/vgic.c core/arm64/platform.c fallback/arm64/spi_gate.c

.PHONY: all deps run test unit integration nested install clean asan bench soak
all:
ifeq ($(ARCH),arm64)
include core/arm64/arm64.mk
else
include core/x86/x86.mk
endif

SUBDIRS  := $(SHARED_DIRS) $(ARCH_DIRS) $(EXTRA_DIRS)
LIB_SRCS := $(filter-out %/main.c %/devd_main.c $(NOT_YET),$(foreach d,$(SUBDIRS),$(wildcard $(d)/*.c)))
LIB_OBJS := $(LIB_SRCS:%.c=$(BUILD)/%.o)
HDRS     := $(foreach d,$(SHARED_DIRS) $(X86_DIRS) $(ARM64_DIRS) $(EXTRA_DIRS),$(wildcard $(d)/*.h)) $(wildcard abi/*.h)

all: $(TARGETS)

$(BUILD)/%.o: %.c $(HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c $< -o $@

$(BUILD)/libnexit.a: $(LIB_OBJS)
	@rm -f $@
	$(AR) rcs $@ $^

$(BUILD)/nexit: $(BUILD)/cli/main.o $(BUILD)/libnexit.a $(LINK_DEPS)
	$(CC) $(ALL_CFLAGS) $(STATIC) -o $@ $(BUILD)/cli/main.o $(BUILD)/libnexit.a $(LIBS)

$(BUILD)/nexit-devd: $(BUILD)/passthrough/devd_main.o $(BUILD)/libnexit.a $(LINK_DEPS)
	$(CC) $(ALL_CFLAGS) $(STATIC) -o $@ $(BUILD)/passthrough/devd_main.o $(BUILD)/libnexit.a $(LIBS)

# Always-static copies for the nested L1 machine (its initramfs has no libc).
$(BUILD)/nexit-static: $(BUILD)/cli/main.o $(BUILD)/libnexit.a $(LINK_DEPS)
	$(CC) $(ALL_CFLAGS) -static -o $@ $(BUILD)/cli/main.o $(BUILD)/libnexit.a $(LIBS)
$(BUILD)/nexit-devd-static: $(BUILD)/passthrough/devd_main.o $(BUILD)/libnexit.a $(LINK_DEPS)
	$(CC) $(ALL_CFLAGS) -static -o $@ $(BUILD)/passthrough/devd_main.o $(BUILD)/libnexit.a $(LIBS)

# Fragments owned by their folders (probe guest, appliance, tests).
include $(ARCH_MK)

deps:
	@tools/deps.sh

run: deps all
	@tools/run-default.sh

test: deps all
	@tests/run.sh

# 1000 boot/stop cycles, nothing may grow (tests/soak.sh, docs/security.md).
soak: all
	@tests/soak.sh $(or $(SOAK_CYCLES),1000)

bench: deps all
	$(BUILD)/nexit bench --out bench/results/latest

# The unit names $(PREFIX)/bin/nexit; systemd reads units from
# $(PREFIX)/lib/systemd/system for PREFIX /usr/local and /usr alike.
install: all
	install -D -m 0755 $(BUILD)/nexit $(DESTDIR)$(PREFIX)/bin/nexit
	install -d $(DESTDIR)$(PREFIX)/lib/systemd/system $(DESTDIR)$(PREFIX)/share/man/man1 \
		$(DESTDIR)$(PREFIX)/share/man/man5
	sed 's|@BINDIR@|$(PREFIX)/bin|g' dist/nexit@.service.in > $(DESTDIR)$(PREFIX)/lib/systemd/system/nexit@.service
	install -m 0644 dist/nexit.1 $(DESTDIR)$(PREFIX)/share/man/man1/nexit.1
	install -m 0644 dist/nexit.ini.5 $(DESTDIR)$(PREFIX)/share/man/man5/nexit.ini.5
	install -D -m 0755 $(BUILD)/nexit-devd $(DESTDIR)$(PREFIX)/bin/nexit-devd
	install -D -m 0644 $(BUILD)/guest/probe.elf $(DESTDIR)$(PREFIX)/share/nexit/probe.elf
	install -d $(DESTDIR)$(PREFIX)/share/nexit/profiles
	install -m 0644 tune/profiles/*.ini $(DESTDIR)$(PREFIX)/share/nexit/profiles/

clean:
	rm -rf $(BUILD)
