#!/bin/sh
# `make run`: boot the default guest with its console on this terminal.
# A host whose KVM runs Linux boots the appliance; under kvm_pvm (guest
# ring 0 is emulated instruction by instruction) Linux cannot boot, so the
# probe guest's interrupt demo runs instead.
cd "$(dirname "$0")/.."
if [ -d /sys/module/kvm_pvm ]; then
	echo "nexit: this host's KVM is kvm_pvm, which cannot boot Linux (ring 0 is emulated); booting the probe guest's interrupt demo instead"
	exec build/nexit run --kernel build/guest/probe.elf --cpus 2 --device irqdev \
		--cmdline "scenario=demo" --timeout 60
fi
make --no-print-directory appliance >/dev/null || exit 1
exec build/nexit run --config guest/appliance/appliance.ini --timeout 60
