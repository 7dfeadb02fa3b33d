#!/bin/bash
# The dependency rules of docs/architecture.md, read from the #include lines:
# core/ includes no header of tune/, bench/, image/, passthrough/, fallback/
# or cli/; passthrough/ and fallback/ never include each other; only cli/
# (the composition root) knows every subsystem. Arch code is hooks: a file
# in a shared root (core/, passthrough/, fallback/, cli/, not their x86/ or
# arm64/ folders) includes no header of an x86/ or arm64/ folder, and one
# arch's folders include none of the other's; abi/ (the guest ABI) includes
# no project header and guest/ includes nothing of nexit but abi/. The check
# is run on a bad
# tree first, so it can fail.
# test: needs=none asan=no
source "$(dirname "$0")/../lib.sh"
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT

# violations ROOT: one line per forbidden include under ROOT.
violations() {
	local root=$1
	check() {	# DIR FORBIDDEN-PREFIX...
		local dir=$1; shift
		[ -d "$root/$dir" ] || return 0
		for p in "$@"; do
			grep -rnE "^#[[:space:]]*include[[:space:]]+\"$p/" "$root/$dir" \
				--include='*.c' --include='*.h' | sed "s|^$root/||"
		done
	}
	check core tune bench image passthrough fallback cli
	check passthrough fallback cli
	check fallback passthrough cli
	for d in tune bench image; do check "$d" cli; done
	# abi/ is the guest-visible contract: no project header; the guests
	# (freestanding) include nothing of nexit but abi/.
	check abi core passthrough fallback tune bench image cli guest
	check guest core passthrough fallback tune bench image cli
	# shared roots: their own files only (-maxdepth 1), cli/ whole.
	for d in core passthrough fallback cli; do
		[ -d "$root/$d" ] || continue
		depth=(-maxdepth 1); [ "$d" = cli ] && depth=()
		find "$root/$d" "${depth[@]}" -type f \( -name '*.c' -o -name '*.h' \) -print0 |
			xargs -0 -r grep -nE '^#[[:space:]]*include[[:space:]]+"[^"]*/(x86|arm64)/' |
			sed "s|^$root/||" | grep -vE "^($ARCH_EXEMPT):" || true
	done
	for a in x86 arm64; do
		o=arm64; [ $a = arm64 ] && o=x86
		for d in core passthrough fallback; do
			[ -d "$root/$d/$a" ] || continue
			grep -rnE "^#[[:space:]]*include[[:space:]]+\"[^\"]*/$o/" "$root/$d/$a" \
				--include='*.c' --include='*.h' | sed "s|^$root/||"
		done
	done
}
# Shared files that still include an arch header, each until the hook that
# replaces it lands (none: core/pci.c takes its windows from nx_arch_pci()).
ARCH_EXEMPT='^$'

mkdir -p "$T/bad/core/x86" "$T/bad/fallback/arm64" "$T/bad/cli" "$T/bad/passthrough"
printf '#include "tune/tune.h"\n' > "$T/bad/core/x.c"
printf '#  include "passthrough/passthrough.h"\n' > "$T/bad/fallback/y.h"
printf '#include "core/x86/x86.h"\n' > "$T/bad/passthrough/z.c"
printf '#include "core/arm64/arm64.h"\n' > "$T/bad/cli/w.c"
printf '#include "core/arm64/arm64.h"\n' > "$T/bad/core/x86/v.c"
printf '#include "core/x86/x86.h"\n' > "$T/bad/fallback/arm64/u.c"
printf '#include "core/x86/layout.h"\n' > "$T/bad/core/pcix.c"
printf '#include "core/x86/layout.h"\n' > "$T/bad/core/x86/ok.c"	# x86 code: allowed
printf '#include "core/x86/layout.h"\n' > "$T/bad/core/pci.c"
mkdir -p "$T/bad/guest/probe"
printf '#include "core/vm.h"\n' > "$T/bad/guest/probe/z.c"
[ "$(violations "$T/bad" | wc -l)" = 9 ] || fail "the check missed a bad include: $(violations "$T/bad")"

v=$(violations .)
[ -z "$v" ] || fail "forbidden includes:
$v"
echo "pass: core/ includes no subsystem, passthrough/ and fallback/ not each other, only cli/ composes, shared roots include no arch header, guests include only abi/"
