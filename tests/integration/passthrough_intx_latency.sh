#!/bin/bash
# irqdev's INTx (MSI disabled), gated by the fallback controller on the
# guest's EOI. Under split the raise register is an MMIO exit whose vCPU
# thread asserts and delivers the line (QEMU's edu path, no thread wake-up)
# and the ack is a doorbell ioeventfd: raw counts, exactly one raise exit per
# raise (irqdev's intx_doorbell_exits) and at most one EOI exit per delivered
# interrupt (nexit's line counters), so the guest sees at most two exits per
# interrupt. Under kernel raise and ack are doorbells that nexit's event
# thread serves: no VMM exit at all (nexit's counters and the guest's), and
# (no warm-up there) the guest's ISR ran once per delivery of nexit's gate:
# KVM sent nothing by itself (a KVM_IRQ_LINE 1/0 pulse did, when the guest's
# EOI fell between the two calls).
# test: needs=kvm
source "$(dirname "$0")/../lib.sh"
need_kvm
[ -x "$NEXIT" ] && [ -x "$NEXIT_DEVD" ] && [ -f "$PROBE" ] || skip "build/nexit, nexit-devd or probe.elf missing (run make)"
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
for chip in split kernel; do
	extra=""; [ $chip = kernel ] && extra=" warmup=0"
	probe_irqdev_pass $chip "scenario=intx-latency n=2000$extra" "$T"
	python3 - "$T/s.json" "$chip" "$j" <<'PY' || fail "$chip: exit counts or stats JSON"
import json, sys
d, chip, j = json.load(open(sys.argv[1])), sys.argv[2], json.loads(sys.argv[3])
dev = d["passthrough"]["devices"][0]
line = [l for l in d["irq"]["lines"] if l.get("path") == "fallback" and l.get("gsi") == dev["intx_gsi"]]
assert len(line) == 1, d["irq"]["lines"]
line = line[0]
print("%s: %d VMM exits in the guest's window, line: %d delivered, %d VMM exits" %
      (chip, j["vmm_exits"], line["delivered"], line["vmm_exits"]))
if chip == "kernel":
    assert j["vmm_exits"] == 0 and line["vmm_exits"] == 0, "VMM exits under irqchip=kernel"
    assert j["isr_entries"] == line["delivered"] == line["eois"], \
        "guest ISR entries %d, nexit delivered %d, EOIs %d" % (j["isr_entries"], line["delivered"], line["eois"])
else:
    assert line["vmm_exits"] <= line["delivered"], "more than one EOI exit per interrupt"
    # every raise of the run exited once (warm-up and window), nothing else did
    assert dev["intx_doorbell_exits"] == j["n"] + j.get("warmup", 10), dev
    assert j["vmm_exits"] <= 2 * line["delivered"], "more than two exits per interrupt"
# Rising edges; a raise the EOI path finds first is delivered without one.
assert dev["intx_state"] == "attached" and dev["intx_raised"] > 0, dev
if chip == "kernel":
    assert dev["intx_doorbell_exits"] == 0, dev	# every raise/ack went through a doorbell
PY
done
echo "pass: INTx through the fallback controller, one raise exit + <= 1 EOI exit per interrupt under split, 0 under kernel"
