#!/bin/bash
# Harness self-test fixture: the one skip CI allows (no posted-interrupt
# hardware: VT-d PI/APICv, AMD AVIC or GICv4 vLPIs).
# test: needs=none
source "$(dirname "$0")/../lib.sh"
skip "posted interrupts: no APICv/AVIC/GICv4 on this test bed"
