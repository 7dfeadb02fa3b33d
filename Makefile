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

# make ARCH=arm64: the cross build (static nexit and the arm64 probe guest in
# build/arm64) is its own fragment, see docs/arm64.md. Everything else is x86.
ifeq ($(ARCH),arm64)
include core/arm64/arm64.mk
else
# Every C file of a subsystem is part of the binary; main.c files are entry points.
SUBDIRS  := cli core core/x86 passthrough passthrough/x86 fallback fallback/x86 tune bench image
LIB_SRCS := $(filter-out %/main.c %/devd_main.c,$(foreach d,$(SUBDIRS),$(wildcard $(d)/*.c)))
LIB_OBJS := $(LIB_SRCS:%.c=$(BUILD)/%.o)
HDRS     := $(foreach d,$(SUBDIRS),$(wildcard $(d)/*.h))

.PHONY: all deps run test unit integration nested install clean asan bench soak
all: $(BUILD)/nexit $(BUILD)/nexit-devd probe

$(BUILD)/%.o: %.c $(HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c $< -o $@

$(BUILD)/libnexit.a: $(LIB_OBJS)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/nexit: $(BUILD)/cli/main.o $(BUILD)/libnexit.a
	$(CC) $(ALL_CFLAGS) $(STATIC) -o $@ $^ $(LIBS)

$(BUILD)/nexit-devd: $(BUILD)/passthrough/devd_main.o $(BUILD)/libnexit.a
	$(CC) $(ALL_CFLAGS) $(STATIC) -o $@ $^ $(LIBS)

# Always-static copies for the nested L1 machine (its initramfs has no libc).
$(BUILD)/nexit-static: $(BUILD)/cli/main.o $(BUILD)/libnexit.a
	$(CC) $(ALL_CFLAGS) -static -o $@ $^ $(LIBS)
$(BUILD)/nexit-devd-static: $(BUILD)/passthrough/devd_main.o $(BUILD)/libnexit.a
	$(CC) $(ALL_CFLAGS) -static -o $@ $^ $(LIBS)

# Fragments owned by their folders.
include guest/probe/probe.mk
-include guest/appliance/appliance.mk
include tests/tests.mk
endif

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
