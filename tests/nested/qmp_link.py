#!/usr/bin/env python3
"""qmp_link.py LOG QMP_SOCKET NIC PIDFILE STALL_S - L0's side of the nested
link test, and its stall watchdog.

Follows the L1 serial LOG as QEMU writes it. For every "L2| L2-LINK-WAIT"
line (the L2 guest waits for its link to drop) it sends QMP set_link NIC
down, for every "L2| L2-LINK-DOWN" it sends set_link NIC up: the guest's
virtio-net sees a config interrupt each time. Prints one QMP- line per
command. If the log stays silent for STALL_S seconds (the TCG L1 machine
stopped making progress: its own timeouts never fire), it kills QEMU (pid
in PIDFILE) and says so on one NESTED-STALL line. Ends when the log says
NESTED-DONE or after 30 minutes.
"""
import json
import os
import signal
import socket
import sys
import time

log_path, sock_path, nic, pidfile, stall_s = sys.argv[1:6]
stall_s = float(stall_s)
qmp = None


def command(cmd, args=None):
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
    print("QMP-%s %s -> %s" % (cmd, json.dumps(args), json.dumps(reply)), flush=True)


deadline = time.time() + 1800
last_output, last_case = time.time(), "none"
with open(log_path, "rb") as f:
    buf = b""
    while time.time() < deadline:
        chunk = f.read()
        if not chunk:
            if time.time() - last_output > stall_s:
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
