#!/bin/bash
# Reference run of every probe scenario on QEMU's TCG (a faithful LAPIC and
# IOAPIC, two `edu` devices, 2 CPUs): shows the probe guest itself is right,
# independently of nexit. The probe exits 0 on pass (ACPI S5), isa-debug-exit
# status 3 on fail.
# test: needs=none asan=no
. "$(dirname "$0")/../lib.sh"
QEMU=${QEMU:-qemu-system-x86_64}
command -v "$QEMU" >/dev/null || skip "$QEMU not installed"
[ -s "$PROBE" ] || fail "$PROBE is not built"
out=$(mktemp); trap 'rm -f "$out"' EXIT
failed=0

run() {	# scenario cmdline, then python assertions on j
	local cmd=$1 check=$2
	timeout -k 5 60 "$QEMU" -accel tcg -m 256 -smp 2 -display none -serial "file:$out" \
		-device isa-debug-exit,iobase=0xf4,iosize=4 -device edu -device edu \
		-kernel "$PROBE" -append "$cmd" </dev/null >/dev/null 2>&1
	local rc=$? json
	json=$(probe_json "$out")
	echo "$cmd -> rc=$rc $json"
	if [ $rc -ne 0 ] || ! python3 -c "import json,sys; j=json.loads(sys.argv[1]); assert j['result']=='pass'; $check" "$json"; then
		echo "FAIL: $cmd"; failed=1
	fi
}

run "scenario=hello" "assert j['cpus']==2 and j['mem_mb']==256"
run "scenario=msi-latency n=200" "assert j['received']==200 and j['vmm_exits_per_irq'] is None"
run "scenario=intx-latency n=200" "assert j['received']==200"
run "scenario=eoi-gating" "assert j['during_eoi_wait']==1 and j['after_eoi_asserted']==2"
run "scenario=mask-until-ready" "assert j['while_masked']==0 and j['after_unmask']==1"
run "scenario=shutdown-mask" "assert j['replayed_after_unmask']==0"
run "scenario=storm n=50" "assert j['b_received']==50"
run "scenario=affinity" "assert j['to_cpu1_ran_on_cpu1']==10 and j['to_cpu0_ran_on_cpu0']==10"
run "scenario=priority" "assert j['first_taken']==j['high_vector']"
run "scenario=inservice" "assert j['isr_set']"
run "scenario=demo n=100" "assert j['passed']==j['total']==5"
run "scenario=hello apic=x2apic" "assert j['cpus']==2"
[ $failed -eq 0 ] || fail "some scenarios failed on QEMU"
