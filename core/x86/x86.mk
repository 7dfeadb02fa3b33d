# core/x86/x86.mk - the x86_64 build, the default (included by the top
# Makefile, which has the rules): build/nexit, build/nexit-devd, the x86
# probe guest, the appliance and the tests, which run on this host.
ARCH_DIRS  := $(X86_DIRS)
EXTRA_DIRS := tune bench image
NOT_YET    :=
TARGETS    := $(BUILD)/nexit $(BUILD)/nexit-devd probe
ARCH_MK    := guest/probe/probe.mk $(wildcard guest/appliance/appliance.mk) tests/tests.mk
