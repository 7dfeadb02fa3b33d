#!/bin/bash
# unit_verify: `make install` puts the systemd unit nexit@.service in place
# (ExecStart names the installed nexit, Type=notify) and `systemd-analyze
# verify` accepts it without a single line of output: systemd only warns
# about a key it cannot parse ("Failed to parse ..., ignoring") and still
# exits 0, so a warning is a failure here. The same check on a copy with a
# bad Type= must fail (the check is not blind).
# test: needs=none asan=no timeout=120
source "$(dirname "$0")/../lib.sh"
command -v systemd-analyze >/dev/null || fail "no systemd-analyze (tools/deps.sh installs systemd)"
T=$(mktemp -d /tmp/nexit-unit.XXXXXX)
trap 'rm -rf "$T"' EXIT
U=$T/prefix/lib/systemd/system/nexit@.service

make -s install PREFIX="$T/prefix" >/dev/null || fail "make install failed"
for f in bin/nexit lib/systemd/system/nexit@.service share/man/man1/nexit.1 \
	 share/man/man5/nexit.ini.5; do
	[ -s "$T/prefix/$f" ] || fail "make install did not install $f"
done
grep -q "^ExecStart=$T/prefix/bin/nexit run --config /etc/nexit/%i.ini" "$U" ||	# lint: a unit file's text
	fail "unit: ExecStart does not run the installed nexit"
grep -q '^Type=notify$' "$U" || fail "unit: not Type=notify"

# verify UNIT: systemd-analyze's output (empty when it has nothing to say)
# and status. The unit's Documentation= are the installed pages.
verify() { MANPATH=$T/prefix/share/man timeout -k 2 30 systemd-analyze verify "$1" 2>&1; }
out=$(verify "$U"); vrc=$?
echo "systemd-analyze verify nexit@.service: exit $vrc, ${#out} bytes of output${out:+: $out}"
[ $vrc = 0 ] && [ -z "$out" ] || fail "systemd-analyze verify does not accept nexit@.service"

sed 's/^Type=notify$/Type=notifyy/' "$U" > "$T/bad@.service"
out=$(verify "$T/bad@.service")
[ -n "$out" ] || fail "the check is blind: a unit with Type=notifyy gave no warning"
echo "a copy with Type=notifyy: $out"
echo "unit_verify: pass"
