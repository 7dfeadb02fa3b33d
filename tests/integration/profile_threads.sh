#!/bin/bash
# nexit run --profile with vCPUs pinned 1:1: each vCPU thread runs on its own
# CPU and every other thread of nexit (main, event, irq, control) and the
# nexit-devd it starts run only on the CPUs no vCPU is pinned to. (Before, a
# SCHED_FIFO vCPU spinning in its guest held off nexit-devd woken on its CPU:
# the latency profile's MSI completions timed out in L1, bench --profile.)
# test: needs=kvm
source "$(dirname "$0")/../lib.sh"
need_kvm
[ -x "$NEXIT" ] && [ -f "$PROBE" ] || fail "build/nexit or probe.elf missing (run make)"
[ "$(nproc)" -ge 2 ] || skip "one CPU: no CPU is left for nexit's own threads"
T=$(mktemp -d); VMM=
trap '[ -n "$VMM" ] && kill -9 $VMM 2>/dev/null; rm -rf "$T"' EXIT
printf '[profile]\ndescription = pinned, no privileges needed\n[vm]\npin_vcpus = 1:1\nsched_fifo = 0\n' \
	>"$T/pin.ini"
"$NEXIT" run --kernel "$PROBE" --cmdline "scenario=msi-latency n=100000" --cpus 1 \
	--device irqdev --profile "$T/pin.ini" --control "$T/ctl" --timeout 30 >"$T/out" 2>"$T/err" &
VMM=$!
for i in $(seq 100); do [ -S "$T/ctl" ] && break; sleep 0.05; done
sleep 0.3
kill -0 $VMM 2>/dev/null || fail "nexit ended early: $(tail -n2 "$T/err")"
{
	for t in /proc/$VMM/task/*; do
		echo "$(cat "$t/comm") $(awk '/Cpus_allowed_list/{print $2}' "$t/status")"
	done
	for d in $(pgrep -P $VMM -x nexit-devd); do
		echo "nexit-devd $(awk '/Cpus_allowed_list/{print $2}' /proc/$d/status)"
	done
} >"$T/threads"
kill $VMM; wait $VMM 2>/dev/null; VMM=
cat "$T/threads"
python3 - "$T/threads" <<'PY' || fail "thread placement"
import sys
def cpus(s):
    out = set()
    for part in s.split(","):
        a, _, b = part.partition("-")
        out |= set(range(int(a), int(b or a) + 1))
    return out
rows = [l.split() for l in open(sys.argv[1]) if l.strip()]
vcpu = [cpus(c) for n, c in rows if n.startswith("nexit-vcpu")]
others = [(n, cpus(c)) for n, c in rows if n.startswith("nexit") and not n.startswith("nexit-vcpu")]
assert len(vcpu) == 1 and len(vcpu[0]) == 1, "vCPU not pinned to one CPU: %s" % vcpu
assert any(n == "nexit-devd" for n, _ in others), "no nexit-devd found"
bad = [(n, sorted(c)) for n, c in others if c & vcpu[0]]
assert not bad, "threads on the vCPU's CPU %s: %s" % (sorted(vcpu[0]), bad)
PY
echo "pass: vCPU alone on its CPU; nexit's own threads and nexit-devd elsewhere"
