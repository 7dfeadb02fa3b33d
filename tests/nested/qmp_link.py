#!/usr/bin/env python3
"""qmp_link.py LOG QMP_SOCKET NIC PIDFILE STALL_S STALLFILE [SYSTEM_MAP] - L0's
side of the nested link test, and its stall watchdog.

Follows the L1 serial LOG as QEMU writes it. For every "L2| L2-LINK-WAIT"
line (the L2 guest waits for its link to drop) it sends QMP set_link NIC
down, for every "L2| L2-LINK-DOWN" it sends set_link NIC up: the guest's
virtio-net sees a config interrupt each time. Prints one QMP- line per
command. If the log stays silent for STALL_S seconds (the TCG L1 machine
stopped making progress: its own timeouts never fire), it prints where
L1's CPUs are (RIP, with the symbol from L1's SYSTEM_MAP), creates
STALLFILE, kills QEMU (pid in PIDFILE) and says so on one NESTED-STALL
line. Ends when the log says NESTED-DONE or after 30 minutes.
"""
import json
import os
import signal
import socket
import sys
import time

log_path, sock_path, nic, pidfile, stall_s, stallfile = sys.argv[1:7]
system_map = sys.argv[7] if len(sys.argv) > 7 else None
stall_s = float(stall_s)
qmp = None


def command(cmd, args=None, quiet=False):
    global qmp
    if qmp is None:
        for _ in range(100):
            try:
                s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                s.connect(sock_path)
                qmp = s.makefile("rw")
                break
            except OSError:
                time.sleep(0.1)
        else:
            print("QMP-ERROR cannot connect to", sock_path, flush=True)
            return
        qmp.readline()  # greeting
        qmp.write(json.dumps({"execute": "qmp_capabilities"}) + "\n")
        qmp.flush()
        qmp.readline()
    msg = {"execute": cmd}
    if args:
        msg["arguments"] = args
    qmp.write(json.dumps(msg) + "\n")
    qmp.flush()
    while True:  # skip asynchronous events until the reply
        reply = json.loads(qmp.readline())
        if "return" in reply or "error" in reply:
            break
    if not quiet:
        print("QMP-%s %s -> %s" % (cmd, json.dumps(args), json.dumps(reply)), flush=True)
    return reply.get("return")


def symbol(rip):
    """The System.map symbol rip falls in, as name+0xoff."""
    best = None
    try:
        for l in open(system_map):
            a, _, name = l.split()[:3]
            a = int(a, 16)
            if a <= rip and (best is None or a > best[0]):
                best = (a, name)
    except (OSError, TypeError, ValueError):
        return "?"
    return "%s+0x%x" % (best[1], rip - best[0]) if best else "?"


def where():
    """One NESTED-STALL line per L1 vCPU: its RIP and the kernel symbol."""
    out = command("human-monitor-command", {"command-line": "info registers -a"}, quiet=True)
    cpu = 0
    for l in (out or "").split("\n"):
        if l.startswith("CPU#"):
            cpu = l.split("#")[1].split()[0]
        elif l.startswith("RIP="):
            rip = int(l.split()[0][4:], 16)
            print("NESTED-STALL cpu %s rip=0x%x %s" % (cpu, rip, symbol(rip)), flush=True)


deadline = time.time() + 1800
last_output, last_case = time.time(), "none"
with open(log_path, "rb") as f:
    buf = b""
    while time.time() < deadline:
        chunk = f.read()
        if not chunk:
            if time.time() - last_output > stall_s:
                try:
                    where()
                    where()  # twice: a moving RIP is a livelock, a fixed one a hang
                except (OSError, ValueError):
                    pass
                open(stallfile, "w").close()
                try:
                    os.kill(int(open(pidfile).read()), signal.SIGTERM)
                except (OSError, ValueError):
                    pass
                print("NESTED-STALL no L1 output for %d s (last: %s): QEMU killed" %
                      (stall_s, last_case), flush=True)
                sys.exit(3)
            time.sleep(0.2)
            continue
        last_output = time.time()
        buf += chunk
        *lines, buf = buf.split(b"\n")
        for raw in lines:
            line = raw.decode("utf-8", "replace").rstrip("\r")
            if line.startswith("L2| L2-LINK-WAIT"):
                command("set_link", {"name": nic, "up": False})
            elif line.startswith("L2| L2-LINK-DOWN"):
                command("set_link", {"name": nic, "up": True})
            elif line.startswith("NESTED-CASE "):
                last_case = line
            elif line.startswith("NESTED-DONE"):
                sys.exit(0)
