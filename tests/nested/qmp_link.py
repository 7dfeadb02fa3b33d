#!/usr/bin/env python3
"""qmp_link.py LOG QMP_SOCKET NIC - L0's side of the nested link test.

Follows the L1 serial LOG as QEMU writes it. For every "L2| L2-LINK-WAIT"
line (the L2 guest waits for its link to drop) it sends QMP set_link NIC
down, for every "L2| L2-LINK-DOWN" it sends set_link NIC up: the guest's
virtio-net sees a config interrupt each time. Prints one QMP- line per
command; ends when the log says NESTED-DONE or after 30 minutes.
"""
import json
import socket
import sys
import time

log_path, sock_path, nic = sys.argv[1], sys.argv[2], sys.argv[3]
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
with open(log_path, "rb") as f:
    buf = b""
    while time.time() < deadline:
        chunk = f.read()
        if not chunk:
            time.sleep(0.2)
            continue
        buf += chunk
        *lines, buf = buf.split(b"\n")
        for raw in lines:
            line = raw.decode("utf-8", "replace").rstrip("\r")
            if line.startswith("L2| L2-LINK-WAIT"):
                command("set_link", {"name": nic, "up": False})
            elif line.startswith("L2| L2-LINK-DOWN"):
                command("set_link", {"name": nic, "up": True})
            elif line.startswith("NESTED-DONE"):
                sys.exit(0)
