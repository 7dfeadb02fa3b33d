#!/bin/bash
# `make run`: boots the Linux appliance (guest/appliance) with its console
# on this terminal, then prints the appliance VM's interrupt counters (per
# line, per path) from nexit's --stats-json. Where this host's KVM boots
# Linux (`nexit check --kvm` says linux) nexit runs it here; otherwise
# (kvm_pvm emulates guest ring 0, or there is no /dev/kvm at all) the same
# script runs inside the nested x86 machine (tools/l1.sh: QEMU TCG with
# SVM+NPT, a real KVM-SVM), after one line that says which and why.
cd "$(dirname "$0")/.."
STATS=build/run/stats.json
if [ "${1:-}" != --here ]; then
	make --no-print-directory -s appliance >/dev/null || exit 1
	mkdir -p build/run
	line=$(build/nexit check --kvm)
	if [ "${line%%:*}" = linux ]; then
		echo "nexit: booting the Linux appliance on this host's KVM ($line)"
	else
		echo "nexit: this host's KVM cannot boot Linux ($line); booting the Linux appliance in the nested x86 machine instead (QEMU TCG, SVM+NPT: tools/l1.sh, docs/nested.md)"
		exec tools/l1.sh --console --share build/run --timeout 175 -- tools/run-default.sh --here
	fi
fi
# The appliance's eth0 is a tap with vhost-net (guest/appliance/appliance.ini).
for m in tun:/dev/net/tun vhost_net:/dev/vhost-net; do
	[ -e "${m#*:}" ] || modprobe "${m%%:*}" 2>/dev/null || busybox modprobe "${m%%:*}" 2>/dev/null
done
rm -f "$STATS"
timeout -k 5 160 build/nexit run --config guest/appliance/appliance.ini --stats-json "$STATS" --timeout 150
rc=$?
if [ -s "$STATS" ]; then
	python3 tools/irq-counters.py "$STATS"
else
	echo "nexit: no interrupt counters (nexit exited $rc before writing $STATS)"
fi
exit $rc
