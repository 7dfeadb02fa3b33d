#!/bin/bash
# 20 boot/stop cycles of a VM with an irqdev, every 5th with its backend
# killed: fds, threads, RSS and zombies do not grow (tests/soak.sh; make
# soak runs 1000).
# test: needs=kvm
exec bash "$(dirname "$0")/../soak.sh" 20
