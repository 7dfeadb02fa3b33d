# tests/fuzz/fuzz.mk - libFuzzer harnesses (tests/fuzz/fuzz_*.c), built with
# clang against a clang build of libnexit.a with ASan + UBSan in
# build/fuzz; `make fuzz` runs each for FUZZ_SECONDS (default 60) on
# seeds tests/fuzz/seeds.py generates (tests/fuzz/run.sh, docs/security.md).
FUZZ_BUILD   := build/fuzz
FUZZ_SAN     := -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined \
                -fno-omit-frame-pointer -Wno-error
FUZZ_SRCS    := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_SECONDS ?= 60

.PHONY: fuzz fuzz-bins fuzz-harnesses
fuzz-bins:
	@$(MAKE) --no-print-directory BUILD=$(FUZZ_BUILD) CC=clang STATIC= \
		EXTRA_CFLAGS="$(FUZZ_SAN)" fuzz-harnesses

fuzz-harnesses: $(FUZZ_SRCS:tests/fuzz/%.c=$(BUILD)/%)

$(BUILD)/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz.h $(BUILD)/libnexit.a $(BUILD)/libnexit-arm64.a $(HDRS)
	$(CC) $(ALL_CFLAGS) -fsanitize=fuzzer -o $@ $< $(BUILD)/libnexit-arm64.a $(BUILD)/libnexit.a $(LIBS)

fuzz: deps
	@tests/fuzz/run.sh $(FUZZ_SECONDS)
