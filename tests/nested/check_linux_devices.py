#!/usr/bin/env python3
"""check_linux_devices.py LOG CHIP... - the assertions of
tests/integration/linux_devices.sh on its log of the cases (L2's console
as "L2| " lines, nexit's stats, L1's new dmesg lines): for each irqchip,
the cases vfio-msix, vfio-intx and own (see that script). Prints one line
per fact checked; exits 1 if any failed."""
import json
import os
import re
import sys

log_path, chips = sys.argv[1], sys.argv[2:]
cases = os.environ.get("NESTED_DEVICES_CASES", "vfio-msix vfio-intx own").split()
lines = [l.rstrip("\r") for l in
         open(log_path, encoding="utf-8", errors="replace", newline="").read().split("\n")]
failed = 0


def check(ok, what):
    global failed
    print(("ok    " if ok else "FAIL  ") + what)
    if not ok:
        failed += 1
    return ok


def case_lines(name, chip):
    out, inside = [], False
    for l in lines:
        if l == "NESTED-CASE %s %s" % (name, chip):
            inside, out = True, []
        elif inside and l.startswith("NESTED-CASE-END %s %s" % (name, chip)):
            return out + [l]
        elif inside:
            out.append(l)
    return out


def irqs(case, phase):
    """{name: (count, chip_and_type)} from 'L2| L2-IRQ <phase> N: count ...'."""
    got = {}
    for l in case:
        m = re.match(r"L2\| L2-IRQ %s +\d+: +(\d+) +(.*)$" % phase, l)
        if m:
            f = m.group(2).split()
            got[f[-1]] = (int(m.group(1)), " ".join(f[:-1]))
    return got


def value(case, prefix, key):
    for l in case:
        if l.startswith(prefix):
            m = re.search(r"\b%s=(\S+)" % key, l)
            if m:
                return m.group(1)
    return None


def stats(case):
    for l in case:
        if l.startswith("NEXIT-STATS "):
            return json.loads(l[len("NEXIT-STATS "):])
    return {}


def snap(case, phase):
    for l in case:
        m = re.match(r"NEXIT-SNAP %s\s*(\{.*\})$" % phase, l)
        if m:
            return json.loads(m.group(1))
    return {}


def window_lines(tag, case, ids):
    """Each exitless line in ids has the same live_exits before and after
    the traffic window (nexit stat snapshots): no VMM exit on its path while
    the window's interrupts arrived. Also shows what the VM's exits were."""
    a, b = snap(case, "start"), snap(case, "end")
    if not check(a != {} and b != {}, "%s: live stats before and after the window" % tag):
        return
    ea, eb = a["exits"]["by_reason"], b["exits"]["by_reason"]
    print("      %s: VM exits between the snapshots (incl. the guest's marker lines): %s" %
          (tag, {k: eb[k] - ea.get(k, 0) for k in eb if eb[k] != ea.get(k, 0)}))
    for ident in ids:
        # An exitless line's vmm_exits is null (nexit never sees its
        # interrupts); live_exits counts nexit's exits on its path (MSI-X
        # table accesses while the vector is live: core/pci.c).
        la, lb = line(a, ident) or {}, line(b, ident) or {}
        ea, eb = la.get("live_exits"), lb.get("live_exits")
        check(isinstance(ea, int) and eb == ea and la.get("vmm_exits", 0) is None and
              lb.get("state") == "active",
              "%s: nexit line %s: live_exits %s -> %s over the window, vmm_exits %s, state %s" %
              (tag, ident, ea, eb, lb.get("vmm_exits", "missing"), lb.get("state")))


def line(st, ident):
    for o in st.get("irq", {}).get("lines", []):
        if o.get("id") == ident:
            return o
    return None


def common(case, tag, name):
    rc = value(case, "NESTED-CASE-END", "rc")
    check(rc == "0", "%s: nexit exited %s (0 = guest powered off)" % (tag, rc))
    check(any(re.match(r"L2\| L2-PCI \S+ 1af4:1041 .*driver=virtio-pci", l) for l in case),
          "%s: Linux bound virtio-pci to the 1af4:1041 function" % tag)
    drv = value(case, "L2| L2-NET", "driver")
    check(drv == "virtio_net", "%s: %s is driven by %s" % (tag, value(case, "L2| L2-NET", "if"), drv))
    check(any(l == "L2| L2-RC=0" for l in case),
          "%s: the L2 case script finished (L2-RC=0)" % tag)
    # The host bridge comes from the DSDT: Linux's ACPI PCI root driver
    # binds PNP0A08 and scans its bus (without pci=noacpi).
    cmdline = [l for l in case if l.startswith("L2| L2-CMDLINE ")]
    check(cmdline != [] and "pci=noacpi" not in cmdline[0] and "acpi=off" not in cmdline[0],
          "%s: ACPI on: %s" % (tag, cmdline and cmdline[0]))
    dm = [l for l in case if l.startswith("L2| L2-DMESG ")]
    check(any("acpi PNP0A08:00:" in l for l in dm) and
          any("PCI host bridge to bus 0000:00" in l for l in dm),
          "%s: Linux's ACPI PCI root (PNP0A08) gave 'PCI host bridge to bus 0000:00': %s" %
          (tag, [l[len("L2| L2-DMESG "):] for l in dm if "PNP0A08" in l or "host bridge" in l][:2]))
    bad = [l for l in case if re.search(r"WARNING: CPU|BUG:|Oops", l)]
    check(bad == [], "%s: no kernel WARNING/BUG/Oops in L2's console or dmesg: %s" % (tag, bad[:3]))


def rose(tag, before, after, name, least):
    b, a = before.get(name, (None,))[0], after.get(name, (None,))[0]
    return check(b is not None and a is not None and a - b >= least,
                 "%s: %s interrupts %s -> %s (at least +%d)" % (tag, name, b, a, least))


for chip in chips:
    # ---- the assigned virtio-net with MSI-X -------------------------------
    tag, c = "vfio-msix/" + chip, case_lines("vfio-msix", chip)
    if "vfio-msix" in cases and check(c != [], tag + ": case ran"):
        common(c, tag, "vfio-msix")
        before, after, link = irqs(c, "before"), irqs(c, "after"), irqs(c, "link")
        check(all("PCI-MSI" in before.get("virtio0-" + v, (0, ""))[1]
                  for v in ("config", "input.0", "output.0")),
              "%s: config, input.0 and output.0 are PCI-MSI(-X) vectors: %s" % (tag, before))
        rose(tag, before, after, "virtio0-output.0", 5)          # TX completions
        check("L2| L2-LINK-DOWN ok" in c and "L2| L2-LINK-UP ok" in c, "%s: the guest saw its link go down and up" % tag)
        rose(tag, after, link, "virtio0-config", 2)              # one per set_link
        w = value(c, "L2| L2-WINDOW", "exits")
        out = after.get("virtio0-output.0", (0,))[0] - before.get("virtio0-output.0", (0,))[0]
        check(w is not None and int(w) == 0,
              "%s: %s VMM exits while %d TX-completion interrupts arrived" % (tag, w, out))
        window_lines(tag, c, ["assign0.msix%d" % v for v in range(3)])

    # ---- the same function with pci=nomsi: INTx through the fallback -------
    tag, c = "vfio-intx/" + chip, case_lines("vfio-intx", chip)
    if "vfio-intx" in cases and check(c != [], tag + ": case ran"):
        common(c, tag, "vfio-intx")
        before, after, final = irqs(c, "before"), irqs(c, "after"), irqs(c, "final")
        t = before.get("virtio0", (0, ""))[1]
        check("IO-APIC" in t and "fasteoi" in t, "%s: virtio0 is an IO-APIC level line (%s)" % (tag, t))
        rose(tag, before, after, "virtio0", 5)
        check("L2| L2-LINK-DOWN ok" in c and "L2| L2-LINK-UP ok" in c,
              "%s: the guest saw its link go down and up" % tag)
        rose(tag, after, irqs(c, "link"), "virtio0", 2)
        o = line(stats(c), "vfio-assign0")
        guest = final.get("virtio0", (None,))[0]
        if check(o is not None, "%s: nexit has a line for the VFIO INTx" % tag):
            check(o["mode"] == "gated", "%s: the line is EOI-gated (mode %s)" % (tag, o["mode"]))
            check(o["delivered"] == o["eois"] and o["delivered"] > 0,
                  "%s: delivered %d == EOIs %d" % (tag, o["delivered"], o["eois"]))
            check(guest == o["delivered"],
                  "%s: every delivery reached the driver: guest counted %s, nexit delivered %d"
                  % (tag, guest, o["delivered"]))
            check(o["storms"] == 0 and o["dropped_at_reset"] == 0,
                  "%s: no storm, nothing dropped (storms %d, dropped %d)" %
                  (tag, o["storms"], o["dropped_at_reset"]))

    # ---- nexit's own virtio-net (vhost-user) and irqdev --------------------
    tag, c = "own/" + chip, case_lines("own", chip)
    if "own" in cases and check(c != [], tag + ": case ran"):
        common(c, tag, "own")
        check(any(re.match(r"L2\| L2-PCI \S+ 1234:11e8 ", l) for l in c),
              "%s: Linux lists irqdev (1234:11e8)" % tag)
        before, after = irqs(c, "before"), irqs(c, "after")
        rose(tag, before, after, "virtio0-output.0", 5)
        rose(tag, before, after, "virtio0-input.0", 5)     # the backend loops TX back
        w = value(c, "L2| L2-WINDOW", "exits")
        check(w is not None and int(w) == 0, "%s: %s VMM exits during the 60-ping window" % (tag, w))
        vhu = [l for l in lines if l.startswith("NESTED-VHU %s VHU-LOOP" % chip)]
        check(vhu != [] and int(re.search(r"tx=(\d+)", vhu[0]).group(1)) > 0 and
              int(re.search(r"rx=(\d+)", vhu[0]).group(1)) > 0,
              "%s: the vhost-user backend moved frames: %s" % (tag, vhu and vhu[0]))
        window_lines(tag, c, ["cli0.msix0", "cli0.msix1"])

bad = [l for l in lines if l.startswith("L1-DMESG ")]
check(bad == [], "L1's kernel logged no WARNING/BUG/Oops during the cases: %s" % bad[:3])
print("%d check(s) failed" % failed if failed else "all checks passed")
sys.exit(1 if failed else 0)
