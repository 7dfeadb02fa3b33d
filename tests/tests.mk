# Unit tests: one cmocka program per tests/unit/test_*.c, linked with libnexit.a
# and libnexit-arm64.a.
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/%)

.PHONY: unit-bins asan-bins
unit-bins: $(UNIT_BINS) $(BUILD)/tests/vhost-user-loop

# The vhost-user backend of tests/integration/linux_devices.sh (a test
# tool, not part of nexit).
$(BUILD)/tests/vhost-user-loop: tests/nested/vhost-user-loop.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $<

# test_irqdev stands between the drain and poll() to interleave a guest's
# stores with poll()'s scan of its fds.
WRAP_test_irqdev := -Wl,--wrap=poll
$(BUILD)/tests/%: tests/unit/%.c $(BUILD)/libnexit.a $(BUILD)/libnexit-arm64.a $(HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(WRAP_$*) -o $@ $< $(BUILD)/libnexit-arm64.a $(BUILD)/libnexit.a $(LIBS) -lcmocka

# arm64's plain-C logic (device tree, Image/ELF loaders, ECAM) built for
# this host by the same rule as everything else, so unit tests and fuzzers
# link it as they link libnexit.a: arm64's folders but its hook files
# (ARM64_HOOKS, top Makefile).
A64_HOST_SRCS := $(filter-out $(ARM64_HOOKS),$(foreach d,$(ARM64_DIRS),$(wildcard $(d)/*.c)))
A64_HOST_OBJS := $(A64_HOST_SRCS:%.c=$(BUILD)/%.o)
$(BUILD)/libnexit-arm64.a: $(A64_HOST_OBJS)
	@rm -f $@
	$(AR) rcs $@ $^

# Both arches' objects in one link: any global symbol the two define (an
# arch hook outside its hook file) is a "multiple definition" error here.
unit-bins: $(BUILD)/tests/both-arches.o
$(BUILD)/tests/both-arches.o: $(LIB_OBJS) $(A64_HOST_OBJS)
	@mkdir -p $(dir $@)
	$(LD) -r -o $@ $^

# Everything once more under AddressSanitizer + UBSan, in its own build tree.
SAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
asan-bins:
	$(MAKE) --no-print-directory BUILD=build/asan STATIC= EXTRA_CFLAGS="$(SAN_FLAGS)" \
		build/asan/nexit build/asan/nexit-devd unit-bins
include tests/fuzz/fuzz.mk
