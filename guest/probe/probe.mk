# Probe guest (freestanding x86_64 kernel, multiboot v1). Owned by guest/probe:
# the arch-neutral library in common/, the x86 platform and scenarios in x86/.
# Built as ELF64 at 1 MiB, then converted to ELF32 because multiboot loaders
# (QEMU's included) accept only 32-bit ELF images.
PROBE_DIR    := guest/probe
PROBE_SRCS   := $(wildcard $(PROBE_DIR)/common/*.c $(PROBE_DIR)/common/scenarios/*.c $(PROBE_DIR)/x86/*.c $(PROBE_DIR)/x86/*.S \
                           $(PROBE_DIR)/x86/scenarios/*.c)
PROBE_OBJDIR := $(BUILD)/guest/probe-obj
PROBE_OBJS   := $(PROBE_SRCS:$(PROBE_DIR)/%=$(PROBE_OBJDIR)/%.o)
PROBE_HDRS   := $(wildcard $(PROBE_DIR)/common/*.h $(PROBE_DIR)/x86/*.h) abi/guest_abi.h
# No SSE/x87 (-mgeneral-regs-only), no red zone (interrupts share the stack),
# no PIC; -fno-tree-loop-distribute-patterns keeps memset() from calling itself.
# -I.: the guest includes abi/guest_abi.h, nothing else of nexit's tree;
# -I x86: common/ code finds this arch's arch.h.
PROBE_CFLAGS := -std=gnu11 -O2 -g -Wall -Wextra -Werror -Wno-unused-parameter -I. -I$(PROBE_DIR)/x86 \
                -ffreestanding -fno-builtin -nostdlib -fno-pic -fno-pie -mno-red-zone \
                -mcmodel=small -mgeneral-regs-only -fno-stack-protector \
                -fno-asynchronous-unwind-tables -fno-tree-loop-distribute-patterns \
                -fno-strict-aliasing
PROBE_LDFLAGS := -nostdlib -static -no-pie -Wl,--build-id=none -Wl,-z,max-page-size=0x1000 \
                 -Wl,-T,$(PROBE_DIR)/x86/probe.ld

.PHONY: probe
probe: $(BUILD)/guest/probe.elf

$(PROBE_OBJDIR)/%.c.o: $(PROBE_DIR)/%.c $(PROBE_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(PROBE_CFLAGS) -c $< -o $@

$(PROBE_OBJDIR)/%.S.o: $(PROBE_DIR)/%.S
	@mkdir -p $(dir $@)
	$(CC) $(PROBE_CFLAGS) -c $< -o $@

$(BUILD)/guest/probe64.elf: $(PROBE_OBJS) $(PROBE_DIR)/x86/probe.ld
	$(CC) $(PROBE_CFLAGS) $(PROBE_LDFLAGS) -o $@ $(PROBE_OBJS) -lgcc

$(BUILD)/guest/probe.elf: $(BUILD)/guest/probe64.elf
	objcopy -O elf32-i386 $< $@
