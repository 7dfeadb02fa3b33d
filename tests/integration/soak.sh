#!/bin/bash
# 20 boot/stop cycles of a VM with an irqdev, every 5th with its backend
# killed: fds, threads, RSS and zombies do not grow (tests/soak.sh; make
# soak runs 1000).
# asan=no: fds, threads and zombies do not depend on the build, and RSS
# under ASan is its quarantine's; the ASan pass of lifecycle and
# passthrough_devd_kill runs the same stop and backend-kill paths.
# test: needs=kvm asan=no
exec bash "$(dirname "$0")/../soak.sh" 20
