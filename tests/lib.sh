# Shared helpers for integration test scripts (sourced).
cd "$(dirname "${BASH_SOURCE[0]}")/.."
NEXIT=${NEXIT:-build/nexit}
PROBE=${PROBE:-build/guest/probe.elf}
skip() { echo "skip: $*"; exit 77; }
fail() { echo "FAIL: $*"; exit 1; }
need_kvm() { [ -r /dev/kvm ] && [ -w /dev/kvm ] || skip "no usable /dev/kvm"; }
# probe_json OUTPUT_FILE: prints the JSON of the last PROBE line.
probe_json() { grep -a '^PROBE ' "$1" | tail -n1 | sed 's/^PROBE //'; }
# probe_irqdev_pass CHIP CMDLINE DIR: boots the probe with one irqdev under
# irqchip CHIP, stats in DIR/s.json; fails unless nexit exits 0 and the
# scenario passes. Leaves the PROBE JSON in $j.
probe_irqdev_pass() {
	local chip=$1 cmd=$2 dir=$3 rc
	timeout 120 "$NEXIT" run --irqchip "$chip" --kernel "$PROBE" --device irqdev \
		--cmdline "$cmd" --stats-json "$dir/s.json" --timeout 100 >"$dir/out" 2>"$dir/err"
	rc=$?
	j=$(probe_json "$dir/out")
	echo "$chip: $j"
	[ $rc -eq 0 ] || fail "$chip: nexit exited $rc: $(tail -n3 "$dir/err")"
	echo "$j" | grep -q '"result":"pass"' || fail "$chip: scenario did not pass"
}
