# Unit tests: one cmocka program per tests/unit/test_*.c, linked with libnexit.a.
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/%)

.PHONY: unit-bins asan-bins
unit-bins: $(UNIT_BINS) $(BUILD)/tests/vhost-user-loop

# The vhost-user backend of tests/integration/linux_devices.sh (a test
# tool, not part of nexit).
$(BUILD)/tests/vhost-user-loop: tests/nested/vhost-user-loop.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $<

$(BUILD)/tests/%: tests/unit/%.c $(BUILD)/libnexit.a $(HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $< $(BUILD)/libnexit.a $(LIBS) -lcmocka

# Everything once more under AddressSanitizer + UBSan, in its own build tree.
SAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
asan-bins:
	$(MAKE) --no-print-directory BUILD=build/asan STATIC= EXTRA_CFLAGS="$(SAN_FLAGS)" \
		build/asan/nexit build/asan/nexit-devd unit-bins
include tests/fuzz/fuzz.mk
