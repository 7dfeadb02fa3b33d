#!/usr/bin/env python3
"""tools/irq-counters.py STATS_JSON - the interrupt counters of a VM from
nexit's --stats-json, one line per interrupt line, grouped by path
(exitless: MSI routes on irqfd; fallback: the EOI-gated level lines of
nexit's IOAPIC/PIC or KVM's), then the VM's exits by reason."""
import json, sys

d = json.load(open(sys.argv[1]))
lines = d.get("irq", {}).get("lines", [])
print("interrupt counters (%s, irqchip %s):" % (sys.argv[1], d.get("irqchip", "?")))
cols = ("id", "gsi", "vector", "trigger", "delivered", "eois", "masked_at_host", "storms", "vmm_exits")
def cell(l, k):
    v = l.get(k)
    return "-" if v is None else ("0x%x" % v if k == "vector" and isinstance(v, int) else str(v))
for path in sorted({l.get("path", "?") for l in lines}):
    rows = [l for l in lines if l.get("path", "?") == path]
    print("  path %s: %d line%s" % (path, len(rows), "" if len(rows) == 1 else "s"))
    w = [max(len(c), *(len(cell(l, c)) for l in rows)) for c in cols]
    print("    " + "  ".join(c.ljust(x) for c, x in zip(cols, w)))
    for l in rows:
        print("    " + "  ".join(cell(l, c).ljust(x) for c, x in zip(cols, w)))
if not lines:
    print("  (no interrupt lines were used)")
ex = d.get("exits", {})
print("  VMM exits: %s total, %s" % (ex.get("total", "?"), ", ".join(
    "%s %s" % (k, v) for k, v in sorted(ex.get("by_reason", {}).items()))))
