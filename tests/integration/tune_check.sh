#!/bin/bash
# nexit check --json on the fake sysroots (Intel APICv+IPIv+VT-d PI, AMD
# AVIC+AMD-Vi, arm64 GICv4, no /dev/kvm) asserts each path's verdict; on
# this machine the report must be valid JSON, name the KVM flavour and say
# why posted interrupts are not available.
# test: needs=none
source "$(dirname "$0")/../lib.sh"
[ -x "$NEXIT" ] || fail "$NEXIT is not built"
F=tests/fixtures
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT

# json_assert FILE PYTHON: d = the JSON, v = verdicts by path
json_assert() {
	python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
v = {x["path"]: x for x in d["verdicts"]}
exec(sys.argv[2])
' "$1" "$2" || fail "assertion failed on $1"
}

for h in intel amd arm64 nokvm; do
	"$NEXIT" check --json --sysroot $F/sysroot-$h >$T/$h.json 2>$T/$h.err ||
		fail "check --sysroot sysroot-$h exited $?: $(cat $T/$h.err)"
	"$NEXIT" check --sysroot $F/sysroot-$h >$T/$h.txt || fail "text check of sysroot-$h failed"
	grep -q '^Verdicts' $T/$h.txt || fail "text report of sysroot-$h has no verdicts"
done

json_assert $T/intel.json '
assert d["kvm"]["flavour"] == "kvm_intel" and d["kvm"]["caps_source"] == "nexit-fake/kvm-caps"
assert d["apic_virt"]["apicv"] is True and d["apic_virt"]["ipiv"] is True
assert d["iommu"]["kind"] == "intel-vtd" and d["iommu"]["interrupt_remapping"] is True
assert d["iommu"]["posted_interrupts"] is True
assert v["assigned device MSI"]["verdict"] == "posted", v["assigned device MSI"]
assert v["assigned device MSI"]["how"] == "hardware"
assert v["out-of-process backend MSI"]["verdict"] == "exitless"
assert v["legacy INTx"]["verdict"] == "fallback"
assert v["legacy INTx"]["how"] == "split irqchip EOI-gated"
assert v["guest IPI"]["verdict"] == "posted"
assert d["posted_interrupts"]["available"] is True
assert d["sched"]["isolated"] == "2-3" and d["sched"]["irqbalance"] is True
'
json_assert $T/amd.json '
assert d["kvm"]["flavour"] == "kvm_amd"
assert d["apic_virt"]["avic"] is True and d["iommu"]["kind"] == "amd-vi"
assert v["assigned device MSI"]["verdict"] == "posted" and "AVIC" in v["assigned device MSI"]["reason"]
assert v["guest IPI"]["verdict"] == "posted"
assert d["sched"]["governor"] == "schedutil"
'
json_assert $T/arm64.json '
assert d["arch"] == "arm64" and d["kvm"]["flavour"] == "arm64"
assert d["gic"]["version"] == 4 and d["gic"]["its"] is True and d["gic"]["vgic_v4_enable"] is True
assert v["assigned device MSI"]["verdict"] == "posted" and "GICv4" in v["assigned device MSI"]["reason"]
assert v["legacy INTx"]["verdict"] == "fallback" and "vGIC" in v["legacy INTx"]["how"]
'
json_assert $T/nokvm.json '
assert d["kvm"]["dev_kvm"] is False and d["kvm"]["usable"] is False
assert all(x["verdict"] == "unavailable" for x in d["verdicts"])
assert d["posted_interrupts"]["available"] is False and "/dev/kvm" in d["posted_interrupts"]["reason"]
'

# Same arm64 host without kvm-arm.vgic_v4_enable=1: exitless, and says why.
cp -a $F/sysroot-arm64 $T/arm64-nov4
sed -i 's/ kvm-arm.vgic_v4_enable=1//' $T/arm64-nov4/proc/cmdline
"$NEXIT" check --json --sysroot $T/arm64-nov4 >$T/nov4.json || fail "check arm64-nov4"
json_assert $T/nov4.json '
a = v["assigned device MSI"]
assert a["verdict"] == "exitless" and "vgic_v4_enable" in a["reason"], a
'
# Intel host booted with intremap=nopost: exitless, naming the option.
cp -a $F/sysroot-intel $T/intel-nopost
sed -i 's/$/ intremap=nopost/' $T/intel-nopost/proc/cmdline
"$NEXIT" check --json --sysroot $T/intel-nopost >$T/nopost.json || fail "check intel-nopost"
json_assert $T/nopost.json '
a = v["assigned device MSI"]
assert a["verdict"] == "exitless" and "intremap=nopost" in a["reason"], a
'

# This machine.
"$NEXIT" check --json >$T/real.json 2>$T/real.err || fail "check on this host exited $?: $(cat $T/real.err)"
json_assert $T/real.json '
assert len(d["verdicts"]) == 4 and all(x["reason"] for x in d["verdicts"])
assert d["posted_interrupts"]["reason"]
'
# The report's KVM kind is the one `nexit check --kvm` prints (core/kvm_kind.c).
kind=$("$NEXIT" check --kvm | cut -d: -f1)
KIND=$kind json_assert $T/real.json '
import os
assert d["kvm"]["kind"] == os.environ["KIND"] and d["kvm"]["kind_reason"], d["kvm"]
'
if [ "$kind" = probe ]; then
	json_assert $T/real.json '
assert d["posted_interrupts"]["available"] is False
assert "ring 0 in software" in d["posted_interrupts"]["reason"], d["posted_interrupts"]
'
fi
# A host without /dev/kvm (NEXIT_KVM_DEVICE names a path that does not exist).
NEXIT_KVM_DEVICE=$T/no-kvm "$NEXIT" check --kvm >$T/kvm.txt || fail "check --kvm without KVM exited $?"
grep -q "^none: cannot open $T/no-kvm: No such file" $T/kvm.txt || fail "check --kvm without KVM: $(cat $T/kvm.txt)"
NEXIT_KVM_DEVICE=$T/no-kvm "$NEXIT" check --json >$T/nokvm-real.json || fail "check --json without KVM"
json_assert $T/nokvm-real.json '
assert d["kvm"]["kind"] == "none" and d["kvm"]["usable"] is False, d["kvm"]
assert all(x["verdict"] == "unavailable" for x in d["verdicts"]), d["verdicts"]
assert d["posted_interrupts"]["available"] is False and "no KVM runs here" in d["posted_interrupts"]["reason"]
'
# /dev/zero opens but is no KVM: "none", with what it answered.
NEXIT_KVM_DEVICE=/dev/zero "$NEXIT" check --kvm >$T/kvm.txt || fail "check --kvm on /dev/zero exited $?"
grep -q "^none: /dev/zero answers KVM API version -1" $T/kvm.txt || fail "check --kvm on /dev/zero: $(cat $T/kvm.txt)"

# Bad input: one error line, non-zero exit.
"$NEXIT" check --bogus >$T/o 2>$T/e && fail "check --bogus succeeded"
[ "$(wc -l <$T/e)" = 1 ] && grep -q '^nexit: error: ' $T/e || fail "check --bogus: $(cat $T/e)"
"$NEXIT" check --sysroot /nonexistent >$T/o 2>$T/e && fail "check --sysroot /nonexistent succeeded"
grep -q '^nexit: error: .*/nonexistent' $T/e || fail "missing sysroot: $(cat $T/e)"
echo "check: 4 fake hosts and this one as expected"
