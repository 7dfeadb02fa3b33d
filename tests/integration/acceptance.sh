#!/bin/bash
# The issue tracker's acceptance commands, exactly as written there.
# test: needs=kvm
source "$(dirname "$0")/../lib.sh"
need_kvm
out=$(mktemp); trap 'rm -f $out' EXIT

# Issue 3: hello on 2 vCPUs prints cpus 2 / pass and exits 0.
timeout -k 5 30 $NEXIT run --kernel $PROBE --cmdline "scenario=hello" --cpus 2 >$out 2>&1 || fail "hello: exit $?"	# lint: the command exactly as the issue wrote it; timeout -k bounds it
j=$(probe_json $out)
python3 -c 'import json,sys; j=json.loads(sys.argv[1]); assert j["cpus"]==2 and j["result"]=="pass", j' "$j" ||
	fail "hello: $j"
echo "ok hello --cpus 2: $j"

# Issue 4: msi-latency n=10000 on the default machine (its default irqdev): 0 VMM exits per irq.
timeout -k 5 60 $NEXIT run --kernel $PROBE --cmdline "scenario=msi-latency n=10000" >$out 2>&1 || fail "msi-latency: exit $?"	# lint: the command exactly as the issue wrote it; timeout -k bounds it
j=$(probe_json $out)
python3 -c 'import json,sys; j=json.loads(sys.argv[1]); assert j["received"]==10000 and j["vmm_exits"]==0 and j["result"]=="pass", j' "$j" ||
	fail "msi-latency: $j"
echo "ok msi-latency: 0 VMM exits (raw count) over 10000"

# ... and intx-latency shows <= 2 VMM exits per interrupt (issue 4's words, as
# a raw count over the interrupts the guest's handler took in its window:
# under split the raise exit that delivers and the EOI exit, and a LAPIC
# that ends interrupts by itself (kvm_pvm) has the gate re-deliver a few,
# each with its own EOI exit; the per-irqchip limits are asserted with
# nexit's own line counters in probe_irq.sh and passthrough_intx_latency.sh).
timeout -k 5 60 $NEXIT run --kernel $PROBE --cmdline "scenario=intx-latency n=2000" >$out 2>&1 || fail "intx-latency: exit $?"	# lint: the command exactly as the issue wrote it; timeout -k bounds it
j=$(probe_json $out)
python3 -c 'import json,sys; j=json.loads(sys.argv[1]); assert j["result"]=="pass" and j["vmm_exits"] is not None and j["vmm_exits"]<=2*j["isr_entries"] and j["isr_entries"]>=j["received"], j' "$j" ||
	fail "intx-latency: $j"
echo "ok intx-latency: $(python3 -c 'import json,sys; j=json.loads(sys.argv[1]); print(j["vmm_exits"], "VMM exits for", j["isr_entries"], "interrupts,", j["received"], "raised")' "$j")"

# --no-defaults: no irqdev, so the probe finds none and says so (and fails).
timeout -k 5 30 $NEXIT run --no-defaults --kernel $PROBE --cmdline "scenario=msi-latency n=10" >$out 2>&1 && fail "msi-latency without any device passed"	# lint: the command exactly as the issue wrote it; timeout -k bounds it
echo "ok --no-defaults leaves the irqdev out"
