#!/bin/bash
# The local sockets nexit and nexit-devd listen on (issue 12): the control
# socket and a backend socket are created 0600, and a peer that is neither
# their user nor root is refused even when the file's mode is widened
# (SO_PEERCRED): nexit stat as another user gets one error line, nexit-devd
# keeps waiting for its real nexit.
# test: needs=kvm
source "$(dirname "$0")/../lib.sh"
need_kvm
[ -x "$NEXIT" ] && [ -x "$NEXIT_DEVD" ] && [ -f "$PROBE" ] || skip "build/nexit, nexit-devd or probe.elf missing (run make)"
[ "$(id -u)" = 0 ] || skip "needs root to act as another user (setpriv)"
command -v setpriv >/dev/null || skip "no setpriv (util-linux)"
T=$(mktemp -d); chmod 0711 "$T"
DEVD=; VMM=
cleanup() { [ -n "$DEVD" ] && kill $DEVD 2>/dev/null; [ -n "$VMM" ] && kill -9 $VMM 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT
nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
nexit_abs=$(readlink -f "$NEXIT")

# nexit-devd --socket: 0600, another user's nexit is refused, ours served.
"$NEXIT_DEVD" --socket "$T/d.sock" 2>"$T/devd.err" &
DEVD=$!
for i in $(seq 100); do [ -S "$T/d.sock" ] && break; sleep 0.05; done
[ "$(stat -c %a "$T/d.sock")" = 600 ] || fail "backend socket mode $(stat -c %a "$T/d.sock"), expected 600"
chmod 0666 "$T/d.sock"
python3 - "$T/d.sock" <<'PY' || fail "another user could not even try to connect"
import os, socket, sys
os.setgid(65534); os.setuid(65534)
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.connect(sys.argv[1])
s.settimeout(5)
assert s.recv(64) == b"", "nexit-devd answered another user"
PY
grep -q "refused pid .* uid 65534" "$T/devd.err" || fail "nexit-devd did not report the refused peer: $(cat "$T/devd.err")"
kill -0 $DEVD || fail "nexit-devd gave up after refusing a peer"

# ... and it still serves nexit; nexit's control socket is 0600 too.
timeout -k 5 60 "$NEXIT" run --kernel "$PROBE" --device "irqdev,backend=$T/d.sock" \
	--cmdline "scenario=fact-max timeout_ms=10000 hold_ms=3000" --control "$T/ctl" --timeout 40 >"$T/out" 2>"$T/err" &
VMM=$!
for i in $(seq 100); do [ -S "$T/ctl" ] && break; sleep 0.05; done
[ "$(stat -c %a "$T/ctl")" = 600 ] || fail "control socket mode $(stat -c %a "$T/ctl"), expected 600"
nobody "$nexit_abs" stat "$T/ctl" >"$T/nb.out" 2>"$T/nb.err" && fail "another user read the control socket (mode 600)"
chmod 0666 "$T/ctl"
nobody "$nexit_abs" stat "$T/ctl" >"$T/nb.out" 2>"$T/nb.err" && fail "another user read the control socket: $(head -c 200 "$T/nb.out")"
grep -q "closed without an answer" "$T/nb.err" || fail "nexit stat as another user: $(cat "$T/nb.err")"
[ -s "$T/nb.out" ] && fail "another user got stats"
"$NEXIT" stat "$T/ctl" >"$T/root.json" || fail "nexit stat as root failed"
python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$T/root.json" || fail "root's stats are not JSON"
wait $VMM; rc=$?; VMM=
wait $DEVD; drc=$?; DEVD=
[ $rc = 0 ] || fail "nexit exited $rc: $(tail -n3 "$T/err") $(probe_json "$T/out")"
[ $drc = 0 ] || fail "nexit-devd exited $drc"
grep -q "control socket: refused pid .* uid 65534" "$T/err" || fail "nexit did not report the refused peer"
echo "pass: backend and control sockets 0600, another user refused by both (SO_PEERCRED), nexit served"
