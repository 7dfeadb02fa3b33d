#!/bin/bash
# tools/intx-trace.sh - records where INTx round trips spend their time,
# nexit and QEMU side by side, with KVM, IRQ and scheduler tracepoints
# (perf record -a). Run it where /dev/kvm is a Linux KVM with tracefs, i.e.
# inside the nested L1 machine:
#
#   tools/l1.sh --share OUT -- tools/intx-trace.sh OUT [NEXIT...]
#
# For each nexit binary given (default build/nexit) and for QEMU
# (q35,kernel-irqchip=split, the bench's command line): intx-latency with
# irqdev / edu, then, where an edu can be bound to vfio-pci, with that edu
# assigned. Writes OUT/<label>.perf.txt (perf script) and OUT/<label>.txt
# (tools/intx-trace.py's timeline) and prints the timelines. Tracing costs
# time itself: compare the shapes, the bench measures the figures.
set -u
out=${1:?usage: tools/intx-trace.sh OUT [NEXIT...]}
shift
here=$(cd "$(dirname "$0")/.." && pwd)
nexits=("$@")
[ ${#nexits[@]} -gt 0 ] || nexits=("$here/build/nexit")
probe=${PROBE:-$here/build/guest/probe.elf}
qemu=${QEMU:-qemu-system-x86_64}
n=${TRACE_N:-300}
cases=${TRACE_CASES:-irqdev,vfio}	# which runs: irqdev (irqdev / edu), vfio (edu assigned)
mkdir -p "$out"
mountpoint -q /sys/kernel/tracing || mount -t tracefs nodev /sys/kernel/tracing 2>/dev/null
mountpoint -q /sys/kernel/debug || mount -t debugfs nodev /sys/kernel/debug 2>/dev/null
events=kvm:kvm_mmio,kvm:kvm_userspace_exit,kvm:kvm_exit,kvm:kvm_entry,kvm:kvm_msi_set_irq
events+=,kvm:kvm_set_irq,kvm:kvm_apic_accept_irq,kvm:kvm_inj_virq,kvm:kvm_eoi
events+=,sched:sched_wakeup,sched:sched_switch,irq:irq_handler_entry
qemu_cmd() {	# DEVICE-ARG: bench/vmm.c's QEMU command line for a latency run, in QCMD
	QCMD=("$qemu" -accel kvm -cpu host,-arch-capabilities -machine q35,kernel-irqchip=split
		-m 256 -smp 1 -nodefaults -no-user-config -display none -monitor none
		-serial stdio -no-reboot -device isa-debug-exit,iobase=0xf4,iosize=4
		-device "$1" -kernel "$probe" -append "scenario=intx-latency n=$n")
}
# run LABEL START CMD...: one traced run and its timeline.
run() {
	local label=$1 start=$2
	shift 2
	echo "== $label: $*"
	timeout -k 5 300 perf record -q -a -e "$events" -o "$out/$label.data" -- "$@" \
		>"$out/$label.out" 2>"$out/$label.err"
	grep -o '"p50_ns":[0-9]*,"p99_ns":[0-9]*' "$out/$label.out" || tail -n3 "$out/$label.err"
	perf script -i "$out/$label.data" -F comm,tid,cpu,time,event,trace \
		>"$out/$label.perf.txt" 2>/dev/null
	rm -f "$out/$label.data"
	python3 "$here/tools/intx-trace.py" "$out/$label.perf.txt" 0x42 "$start" | tee "$out/$label.txt"
}
i=0
for nx in "${nexits[@]}"; do
	[[ ,$cases, == *,irqdev,* ]] || break
	i=$((i + 1))
	run "nexit$i-irqdev" mmio "$nx" run --irqchip split --kernel "$probe" --device irqdev \
		--cmdline "scenario=intx-latency n=$n" --timeout 200
done
qemu_cmd edu
[[ ,$cases, != *,irqdev,* ]] || run qemu-edu mmio "${QCMD[@]}"
[[ ,$cases, == *,vfio,* ]] || exit 0
bdf=$(sh "$here/tests/nested/l1-vfio-bind" 1234:11e8 1 2>&1 | sed -n 's/.*bdf=\([^ ]*\) group=.*/\1/p')
if [ -n "$bdf" ]; then
	i=0
	for nx in "${nexits[@]}"; do
		i=$((i + 1))
		run "nexit$i-vfio" hostirq "$nx" run --irqchip split --kernel "$probe" --assign "$bdf" \
			--cmdline "scenario=intx-latency n=$n" --timeout 200
	done
	qemu_cmd "vfio-pci,host=$bdf"
	run qemu-vfio hostirq "${QCMD[@]}"
else
	echo "== no edu for vfio-pci here: VFIO runs skipped"
fi
