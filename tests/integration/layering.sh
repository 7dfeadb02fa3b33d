#!/bin/bash
# The dependency rules of docs/architecture.md, read from the #include lines:
# core/ includes no header of tune/, bench/, image/, passthrough/, fallback/
# or cli/; passthrough/ and fallback/ never include each other; only cli/
# (the composition root) knows every subsystem. The check is run on a bad
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
}

mkdir -p "$T/bad/core" "$T/bad/fallback"
printf '#include "tune/tune.h"\n' > "$T/bad/core/x.c"
printf '#  include "passthrough/passthrough.h"\n' > "$T/bad/fallback/y.h"
[ "$(violations "$T/bad" | wc -l)" = 2 ] || fail "the check missed a bad include: $(violations "$T/bad")"

v=$(violations .)
[ -z "$v" ] || fail "forbidden includes:
$v"
echo "pass: core/ includes no subsystem, passthrough/ and fallback/ not each other, only cli/ composes"
