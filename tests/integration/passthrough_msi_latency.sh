#!/bin/bash
# The exitless path: msi-latency on irqdev (raise register = KVM ioeventfd on
# the MSI's irqfd eventfd) passes with vmm_exits_per_irq 0 under both
# irqchips, and the stats JSON lists the line as exitless with the route the
# guest programmed (vector 0x41 to APIC 0).
# test: needs=kvm
source "$(dirname "$0")/../lib.sh"
need_kvm
[ -x "$NEXIT" ] && [ -x "$NEXIT_DEVD" ] && [ -f "$PROBE" ] || skip "build/nexit, nexit-devd or probe.elf missing (run make)"
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
for chip in split kernel; do
	probe_irqdev_pass $chip "scenario=msi-latency n=10000" "$T"
	echo "$j" | grep -q '"received":10000' || fail "$chip: not all 10000 interrupts arrived"
	echo "$j" | grep -Eq '"vmm_exits":0[,}]' || fail "$chip: VMM exits on the exitless path (raw count)"
	python3 - "$T/s.json" <<'PY' || fail "$chip: stats JSON"
import json, sys
d = json.load(open(sys.argv[1]))
lines = [l for l in d["irq"]["lines"] if l.get("path") == "exitless"]
assert len(lines) == 1, lines
l = lines[0]
assert l["id"] == "cli0.msi0" and l["gsi"] >= 24, l
# The probe disables MSI at the end: the route was set while it ran.
assert l["route_updates"] >= 1 and l["vmm_exits"] == 0, l
assert l["state"] == "disabled" and not l["source_gone"], l
dev = d["passthrough"]["devices"][0]
assert dev["type"] == "irqdev" and dev["state"] == "running", dev
# Register accesses that exit: none in the measurement loop.
assert dev["mmio_exits"] < 10, dev
PY
done
echo "pass: 10000 MSIs per irqchip with 0 VMM exits per interrupt"
