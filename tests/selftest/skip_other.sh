#!/bin/bash
# Harness self-test fixture: a skip for a reason other than posted-interrupt
# hardware; with CI=true tests/run.sh must count it as a failure.
# test: needs=none
source "$(dirname "$0")/../lib.sh"
skip "no such widget on this host"
