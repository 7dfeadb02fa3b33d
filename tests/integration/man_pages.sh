#!/bin/bash
# man_pages: `man -l` renders nexit(1) and nexit.ini(5), as `make install`
# installs them, without a warning (groff's -ww), and the pages say what
# nexit says it takes: every command of `nexit --help` and every option of
# `nexit run --help` in nexit(1); every key each section of an INI file
# accepts (nexit's own "accepted keys are ..." error for an unknown key,
# [image] through `nexit image`) as an item of nexit.ini(5).
# test: needs=none asan=no timeout=120
source "$(dirname "$0")/../lib.sh"
command -v man >/dev/null || fail "no man (tools/deps.sh installs man-db)"
[ -x "$NEXIT" ] || fail "no $NEXIT (make)"
T=$(mktemp -d /tmp/nexit-man.XXXXXX)
trap 'rm -rf "$T"' EXIT
make -s install PREFIX="$T/prefix" >/dev/null || fail "make install failed"
M=$T/prefix/share/man

for page in man1/nexit.1 man5/nexit.ini.5; do
	out=$(MANWIDTH=80 timeout -k 2 30 man --warnings=w -l "$M/$page" 2>&1 >"$T/${page#*/}.txt")
	n=$(wc -l < "$T/${page#*/}.txt")
	echo "man -l $page: $n lines${out:+, warnings: $out}"
	[ -z "$out" ] || fail "man -l $page warns"
	[ "$n" -gt 40 ] || fail "man -l $page rendered only $n lines"
done

missing=()
# A term as troff writes it: "-" is "\-" in the source.
in_page() { grep -qF -- "${2//-/\\-}" "$1" || grep -qF -- "$2" "$1"; }
for c in $("$NEXIT" --help 2>&1 | sed -n '/^commands:/,/^$/s/^  \([a-z]*\) .*/\1/p'); do
	grep -Eq "^\.(B|BR|BI) \"?$c\b|^\.B \"?nexit $c\b|^\.BR? \"nexit $c" "$M/man1/nexit.1" ||
		missing+=("nexit(1): command $c")
done
for o in $("$NEXIT" run --help 2>&1 | grep -o -- '^  --[a-z][a-z-]*' | sort -u); do
	in_page "$M/man1/nexit.1" "$o" || missing+=("nexit(1): run option $o")
done
# keys SECTION: what nexit accepts there, from its error for an unknown key.
keys() {
	printf '[%s]\nno_such_key = 1\n' "$1" > "$T/k.ini"
	if [ "$1" = image ]; then
		"$NEXIT" image --config "$T/k.ini" 2>&1
	else
		"$NEXIT" run --config "$T/k.ini" --timeout 5 2>&1
	fi | sed -n 's/.*accepted keys are //p' | tr -d ','
}
nkeys=0
for s in vm kernel serial stats control cpuid 'device "x"' image; do
	k=$(keys "$s")
	[ -n "$k" ] || { missing+=("nexit gave no key list for [$s]"); continue; }
	for key in $k; do
		nkeys=$((nkeys + 1))
		grep -Eq "^\.(B|BI|BR) (.*[ \"])?$key([ \",]|$)" "$M/man5/nexit.ini.5" || missing+=("nexit.ini(5): [$s] $key")
	done
done
echo "checked: the commands and run options of --help in nexit(1), $nkeys keys in nexit.ini(5)"
[ ${#missing[@]} = 0 ] || fail "not documented: $(printf '%s; ' "${missing[@]}")"
echo "man_pages: pass"
