# Shared helpers for integration test scripts (sourced).
cd "$(dirname "${BASH_SOURCE[0]}")/.."
NEXIT=${NEXIT:-build/nexit}
PROBE=${PROBE:-build/guest/probe.elf}
skip() { echo "skip: $*"; exit 77; }
fail() { echo "FAIL: $*"; exit 1; }
need_kvm() { [ -r /dev/kvm ] && [ -w /dev/kvm ] || skip "no usable /dev/kvm"; }
# probe_json OUTPUT_FILE: prints the JSON of the last PROBE line.
probe_json() { grep -a '^PROBE ' "$1" | tail -n1 | sed 's/^PROBE //'; }
