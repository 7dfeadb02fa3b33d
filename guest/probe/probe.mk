# Probe guest (freestanding x86_64). Owned by guest/probe.
.PHONY: probe
probe: $(BUILD)/guest/probe.elf
$(BUILD)/guest/probe.elf:
	@mkdir -p $(dir $@) && touch $@
