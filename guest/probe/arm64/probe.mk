# guest/probe/arm64/probe.mk - the arm64 probe guest (make ARCH=arm64),
# included by core/arm64/arm64.mk: common/ (the arch-neutral library) and
# arm64/. A freestanding AArch64 ELF linked at 0x40080000 (RAM + 512 KiB),
# entered at EL1 with the MMU off and x0 = DTB.
A64P_DIR    := guest/probe
A64P_SRCS   := $(wildcard $(A64P_DIR)/common/*.c $(A64P_DIR)/common/scenarios/*.c $(A64P_DIR)/arm64/*.c $(A64P_DIR)/arm64/*.S \
                          $(A64P_DIR)/arm64/scenarios/*.c)
A64P_OBJDIR := $(BUILD)/guest/probe-obj
A64P_OBJS   := $(A64P_SRCS:$(A64P_DIR)/%=$(A64P_OBJDIR)/%.o)
A64P_HDRS   := $(wildcard $(A64P_DIR)/common/*.h $(A64P_DIR)/arm64/*.h) abi/guest_abi.h
# MMU off: every data access is Device-nGnRnE, so no unaligned accesses
# (-mstrict-align) and no FP/SIMD (-mgeneral-regs-only: no CPACR set-up).
# -I.: abi/guest_abi.h only; -I arm64: common/ code finds this arch's arch.h.
A64P_CFLAGS := -std=gnu11 -O2 -g -Wall -Wextra -Werror -Wno-unused-parameter -I. -I$(A64P_DIR)/arm64 \
               -ffreestanding -fno-builtin -nostdlib -fno-pic -fno-pie -mstrict-align \
               -mgeneral-regs-only -fno-stack-protector -fno-asynchronous-unwind-tables \
               -fno-tree-loop-distribute-patterns -fno-strict-aliasing
A64P_LDFLAGS := -nostdlib -static -no-pie -Wl,--build-id=none -Wl,-z,max-page-size=0x1000 \
                -Wl,--no-warn-rwx-segments \
                -Wl,-T,$(A64P_DIR)/arm64/probe.ld

probe: $(BUILD)/guest/probe.elf

$(A64P_OBJDIR)/%.c.o: $(A64P_DIR)/%.c $(A64P_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(A64P_CFLAGS) -c $< -o $@

$(A64P_OBJDIR)/%.S.o: $(A64P_DIR)/%.S
	@mkdir -p $(dir $@)
	$(CC) $(A64P_CFLAGS) -c $< -o $@

$(BUILD)/guest/probe.elf: $(A64P_OBJS) $(A64P_DIR)/arm64/probe.ld
	$(CC) $(A64P_CFLAGS) $(A64P_LDFLAGS) -o $@ $(A64P_OBJS) -lgcc
