#!/usr/bin/env python3
"""tests/harness/lint.py FILE... - every wait on nexit in a test script is
bounded twice over (issue 10, docs/nested.md "Verdicts"):
  - every `timeout N` has -k/--kill-after, so a process deaf to SIGTERM is
    killed too (a nexit that ignores SIGTERM once hung the L1 machine);
  - every `nexit run` has --timeout, so the VMM ends the guest itself;
  - scripts use $NEXIT_DEVD, not build/nexit-devd (the ASan pass swaps both).
Shell continuation lines are joined first. A line may opt out with a
comment `lint: <reason>`. Prints one line per finding; exit 1 if any."""
import re, sys

bad = 0
for path in sys.argv[1:]:
    logical, start = "", 0
    lines = open(path).read().split("\n")
    for i, raw in enumerate(lines, 1):
        if not logical:
            start = i
        logical += raw
        if raw.endswith("\\"):
            logical = logical[:-1] + " "
            continue
        line, logical = logical, ""
        code = line.split(" #")[0] if not line.lstrip().startswith("#") else ""
        if not code.strip() or "lint:" in line:
            continue
        for m in re.finditer(r"(?<![\w-])timeout\s+(?!-k|--kill-after|--)(\S+)", code):
            if re.match(r"[0-9$\"]", m.group(1)):
                print("%s:%d: `timeout` without -k: %s" % (path, start, code.strip()[:120])); bad += 1
        if re.search(r"(NEXIT\"?|/nexit)\s+run\b", code) and "--timeout" not in code \
           and "--help" not in code:
            print("%s:%d: nexit run without --timeout: %s" % (path, start, code.strip()[:120])); bad += 1
        if "build/nexit-devd" in code:
            print("%s:%d: build/nexit-devd instead of $NEXIT_DEVD: %s" % (path, start, code.strip()[:120])); bad += 1
sys.exit(1 if bad else 0)
