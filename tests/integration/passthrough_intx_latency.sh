#!/bin/bash
# irqdev's INTx (MSI disabled): raise and ack are doorbell ioeventfds,
# nexit's passthrough event thread asserts the level line on a raise, the
# fallback controller gates it on the guest's EOI. At most 2 VMM exits per interrupt (the EOI exit under split,
# none under kernel), under both irqchips.
# test: needs=kvm
source "$(dirname "$0")/../lib.sh"
need_kvm
[ -x "$NEXIT" ] && [ -x "$NEXIT_DEVD" ] && [ -f "$PROBE" ] || skip "build/nexit, nexit-devd or probe.elf missing (run make)"
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
for chip in split kernel; do
	probe_irqdev_pass $chip "scenario=intx-latency n=2000" "$T"
	per=$(echo "$j" | grep -o '"vmm_exits_per_irq":[0-9.]*' | cut -d: -f2)
	[ -n "$per" ] || fail "$chip: no vmm_exits_per_irq"
	awk -v p="$per" 'BEGIN { exit !(p <= 2) }' || fail "$chip: $per VMM exits per interrupt (> 2)"
	python3 - "$T/s.json" <<'PY' || fail "$chip: stats JSON"
import json, sys
d = json.load(open(sys.argv[1]))
dev = d["passthrough"]["devices"][0]
# Rising edges; a raise the EOI path finds first is delivered without one.
assert dev["intx_state"] == "attached" and dev["intx_raised"] > 0, dev
assert dev["intx_doorbell_exits"] == 0, dev	# every raise/ack went through a doorbell
PY
done
echo "pass: INTx through the fallback controller, <= 2 VMM exits per interrupt"
