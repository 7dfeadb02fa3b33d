#!/usr/bin/env python3
# tools/intx-trace.py - where one INTx round trip spends its time, from a
# `perf script -F comm,tid,cpu,time,event,trace` dump of KVM, IRQ and
# scheduler tracepoints recorded system-wide while a probe latency run went
# on (tools/intx-trace.sh records it inside the nested L1 machine).
#
#   tools/intx-trace.py DUMP VECTOR [START]
#
# One interrupt = from its start event to the kvm_inj_virq of VECTOR (the
# injection into the guest vCPU). START is "mmio" (default: the guest's
# write to the raise register, kvm_mmio at an offset 0x60 of a BAR, which
# exits or rings an ioeventfd) or "hostirq" (an assigned device's host
# interrupt, irq_handler_entry of a vfio handler) or "eoi" (the previous
# interrupt's EOI exit to the VMM, kvm_userspace_exit IOAPIC_EOI: what the
# VMM does there and how long until the next host interrupt). For every kind of event
# seen inside the interrupts (tracepoint + the class of thread it ran on),
# prints how many interrupts had it and the median offset of its first
# occurrence from the start, in microseconds: the timeline of the path.
import re
import statistics
import sys

LINE = re.compile(r"^\s*(?P<comm>.+?)\s+(?P<tid>\d+)\s+\[(?P<cpu>\d+)\]\s+(?P<t>\d+\.\d+):\s+"
                  r"(?P<ev>[\w:]+):\s*(?P<rest>.*)$")


def thread_class(comm):
    c = comm.lower()
    for k in ("nexit-loop", "nexit-irq", "nexit-event", "nexit-vcpu", "nexit-devd", "nexit"):
        if c.startswith(k):
            return k
    if c.startswith("qemu") or c.startswith("call_rcu") or c.startswith("cpu ") or "kvm" in c:
        return "qemu" if not c.startswith("kvm") else c.split("/")[0]
    if c.startswith("kworker"):
        return "kworker"
    if c.startswith("irq/"):
        return "irq-thread"
    return c.split("/")[0].split(":")[0]


def key(e):
    ev, rest, cls = e["ev"], e["rest"], thread_class(e["comm"])
    if ev == "kvm:kvm_userspace_exit":
        m = re.search(r"reason (\S+)", rest)
        return "%s(%s) [%s]" % (ev, m.group(1) if m else "?", cls)
    if ev == "kvm:kvm_exit":
        m = re.search(r"reason (\S+)", rest)
        return "%s(%s) [%s]" % (ev, m.group(1) if m else "?", cls)
    if ev in ("sched:sched_wakeup", "sched:sched_waking"):
        m = re.search(r"comm=(\S+)", rest)
        return "%s(%s) [%s]" % (ev, thread_class(m.group(1)) if m else "?", cls)
    if ev == "sched:sched_switch":
        m = re.search(r"next_comm=(\S+)", rest)
        return "%s(->%s) [cpu]" % (ev, thread_class(m.group(1)) if m else "?")
    if ev == "irq:irq_handler_entry":
        m = re.search(r"name=(\S+)", rest)
        return "%s(%s)" % (ev, m.group(1) if m else "?")
    return "%s [%s]" % (ev, cls)


def main():
    dump, vector = sys.argv[1], int(sys.argv[2], 0)
    start_kind = sys.argv[3] if len(sys.argv) > 3 else "mmio"
    evs = []
    for ln in open(dump, errors="replace"):
        m = LINE.match(ln)
        if m:
            d = m.groupdict()
            d["t"] = float(d["t"])
            evs.append(d)
    evs.sort(key=lambda e: e["t"])

    def is_start(e):
        if start_kind == "mmio":
            if e["ev"] != "kvm:kvm_mmio" or "write" not in e["rest"]:
                return False
            m = re.search(r"gpa 0x([0-9a-f]+)", e["rest"])
            return bool(m) and int(m.group(1), 16) & 0xfff == 0x60
        if start_kind == "eoi":
            return e["ev"] == "kvm:kvm_userspace_exit" and ("IOAPIC_EOI" in e["rest"] or
                                                            "(26)" in e["rest"])
        return e["ev"] == "irq:irq_handler_entry" and "vfio" in e["rest"]

    def is_end(e):
        if e["ev"] != "kvm:kvm_inj_virq":
            return False
        m = re.search(r"(?:irq|IRQ|vec)\s+(0x[0-9a-fA-F]+|\d+)", e["rest"])
        return bool(m) and int(m.group(1), 0) == vector

    offs, totals, open_start, seen = {}, [], None, None
    for e in evs:
        if is_start(e) and open_start is None:
            open_start, seen = e["t"], {}
            continue
        if open_start is None:
            continue
        k = key(e)
        if k not in seen:
            seen[k] = (e["t"] - open_start) * 1e6
        if is_end(e):
            totals.append((e["t"] - open_start) * 1e6)
            for k2, v in seen.items():
                offs.setdefault(k2, []).append(v)
            open_start = None
    n = len(totals)
    if not n:
        print("no complete interrupt (start %s -> kvm_inj_virq vector %d) in %s" %
              (start_kind, vector, dump))
        return 1
    print("interrupts: %d   start -> injection: median %.1f us, p90 %.1f us" %
          (n, statistics.median(totals), sorted(totals)[int(0.9 * (n - 1))]))
    print("%-70s %6s %10s" % ("event [thread]", "seen", "median us"))
    rows = [(statistics.median(v), k, len(v)) for k, v in offs.items() if len(v) >= n // 2]
    for med, k, cnt in sorted(rows):
        print("%-70s %5d%% %10.1f" % (k[:70], 100 * cnt // n, med))
    return 0


if __name__ == "__main__":
    sys.exit(main())
