#!/bin/bash
# lifecycle: how a nexit VM is stopped and supervised, on this host's KVM
# with the probe guest's power-button scenario (an OSPM in miniature):
#  - SIGTERM and `nexit stop` press the ACPI power button when the guest
#    listens; the guest takes the SCI, clears PWRBTN_STS and powers off:
#    nexit exits 0 (split and kernel irqchip);
#  - a guest that does not listen is stopped at once (128 + signal);
#  - a guest that listens but never powers off is stopped after [vm]
#    stop_grace, with a warning; a second signal does not wait;
#  - a guest past --timeout: exit 124 and each vCPU's state and registers;
#  - READY=1 then STOPPING=1 on $NOTIFY_SOCKET (systemd's notify protocol).
# The unit and the man pages: unit_verify.sh, man_pages.sh.
# test: needs=kvm
source "$(dirname "$0")/../lib.sh"
[ -x "$NEXIT" ] && [ -f "$PROBE" ] || skip "build nexit and the probe first (make)"
T=$(mktemp -d /tmp/nexit-life.XXXXXX)
VM=""
cleanup() { [ -n "$VM" ] && kill -KILL $VM 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT

need_kvm

# Starts the probe (power-button scenario with extra args) in the
# background, waits until it listens for the button.
start() {	# name, nexit args...
	local name=$1; shift
	rm -f "$T/ctl.sock"
	# Not under timeout(1): it signals the child and its process group.
	"$NEXIT" run --kernel "$PROBE" --no-defaults --timeout 60 --control "$T/ctl.sock" "$@" \
		>"$T/$name.out" 2>"$T/$name.err" &
	VM=$!
	for _ in $(seq 100); do grep -q 'power-button: waiting' "$T/$name.out" && return 0; sleep 0.1; done
	fail "$name: the probe never waited for the button: $(tail -n3 "$T/$name.err")"
}
# term: SIGTERM to the VM, its time noted first (finish measures from it:
# a `date` forked after the kill, slow under ASan in L1, once made a 1 s
# stop_grace look like 797 ms).
term() { t_sig=$(date +%s%N); kill -TERM $VM; }
finish() {	# name -> rc, secs (since the last term, else from now)
	local t0=${t_sig:-$(date +%s%N)}
	t_sig=""
	wait $VM; rc=$?; VM=""
	secs=$(( ($(date +%s%N) - t0) / 1000000 ))
}

# SIGTERM, then `nexit stop`, with a guest that listens: exit 0.
for chip in split kernel; do
	start term-$chip --irqchip $chip --cmdline "scenario=power-button"
	term
	finish term-$chip
	j=$(probe_json "$T/term-$chip.out")
	[ $rc = 0 ] && grep -q '"result":"pass"' <<<"$j" ||
		fail "$chip: SIGTERM: rc=$rc $j $(tail -n2 "$T/term-$chip.err")"
	grep -q 'pressed the power button' "$T/term-$chip.err" || fail "$chip: no power button report"
	# One SCI: the level line drops with PWRBTN_STS (a real LAPIC holds it
	# in service until then). Where the LAPIC auto-EOIs, the probe masks
	# the pin in its handler; one re-delivery may already be pending in
	# the LAPIC by then. Unmasked, the re-fires (10^5) starved its ring 3
	# past the 30 s grace.
	n=$(grep -o '"sci_irqs":[0-9]*' <<<"$j" | cut -d: -f2)
	[ "${n:-0}" -ge 1 ] && [ "$n" -le 2 ] || fail "$chip: $n SCIs for one press: $j"
	echo "lifecycle: $chip: SIGTERM -> power button -> guest powered off, exit 0 in ${secs} ms: $j"
done
start stop --cmdline "scenario=power-button"
"$NEXIT" stop "$T/ctl.sock" --wait 20 >/dev/null || fail "nexit stop --wait failed"
finish stop
[ $rc = 0 ] || fail "nexit stop: the VM exited $rc"
echo "lifecycle: nexit stop -> exit 0 in ${secs} ms"

# A guest that listens and never powers off: stop_grace, then forced.
printf '[vm]\nstop_grace = 1\n' > "$T/grace.ini"
start ignore --config "$T/grace.ini" --cmdline "scenario=power-button ignore=1 wait_ms=30000"
term
finish ignore
[ $rc = 143 ] || fail "ignored button: exit $rc, expected 143 after stop_grace"
[ $secs -ge 900 ] && [ $secs -lt 5000 ] || fail "ignored button: stopped after $secs ms, stop_grace is 1 s"
grep -q 'did not power off within stop_grace = 1 s' "$T/ignore.err" || fail "ignored button: no warning"
echo "lifecycle: a guest ignoring the button is stopped after stop_grace (${secs} ms, exit 143)"
# ... and a second SIGTERM (not a duplicate delivery of the first, which
# comes within a second) does not wait for it.
start twice --cmdline "scenario=power-button ignore=1 wait_ms=30000"
kill -TERM $VM; kill -TERM $VM; sleep 1.5
kill -0 $VM || fail "a duplicate SIGTERM within a second stopped the VM"
term
finish twice
[ $rc = 143 ] && [ $secs -lt 2000 ] || fail "second SIGTERM: exit $rc after $secs ms"
echo "lifecycle: a duplicate SIGTERM is one press; a later second one stops at once (${secs} ms)"

# A guest that does not listen (no PWRBTN_EN): stopped at once.
rm -f "$T/ctl2.sock"
"$NEXIT" run --kernel "$PROBE" --device irqdev --timeout 60 --control "$T/ctl2.sock" \
	--cmdline "scenario=msi-rate ms=30000" >"$T/deaf.out" 2>"$T/deaf.err" &
VM=$!
for _ in $(seq 100); do [ -S "$T/ctl2.sock" ] && break; sleep 0.1; done
sleep 0.5
t0=$(date +%s%N)
kill -TERM $VM; wait $VM; rc=$?; VM=""
secs=$(( ($(date +%s%N) - t0) / 1000000 ))
[ $rc = 143 ] && [ $secs -lt 3000 ] || fail "deaf guest: exit $rc after $secs ms"
grep -q 'pressed the power button' "$T/deaf.err" && fail "deaf guest: the button was pressed"
echo "lifecycle: a guest not listening is stopped at once (${secs} ms, exit 143)"

# A guest that misses --timeout: exit 124 and where each vCPU was (its
# KVM mp_state and registers), so a hang tells a halted vCPU that waits for
# a lost interrupt from one that spins.
timeout -k 5 30 "$NEXIT" run --kernel "$PROBE" --no-defaults --timeout 2 \
	--cmdline "scenario=power-button ignore=1 wait_ms=30000" >"$T/late.out" 2>"$T/late.err"
rc=$?
[ $rc = 124 ] || fail "timeout: exit $rc, expected 124: $(tail -n3 "$T/late.err")"
grep -qE '^nexit: error: at the timeout vCPU 0 was (running|halted, waiting for an interrupt)$' "$T/late.err" &&
	grep -qE '^(  rip|vCPU 0: pc)=' "$T/late.err" ||
	fail "timeout: no vCPU state reported: $(cat "$T/late.err")"
echo "lifecycle: a guest past its timeout: exit 124, $(grep -o 'vCPU 0 was .*' "$T/late.err"), registers reported"

# systemd's notify protocol: READY=1 while it runs, STOPPING=1 at the end.
python3 - "$NEXIT" "$PROBE" "$T" <<'PY' || fail "sd_notify"
import os, socket, subprocess, sys, time
nexit, probe, t = sys.argv[1:]
path = os.path.join(t, "notify.sock")
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(path)
s.settimeout(20)
env = dict(os.environ, NOTIFY_SOCKET=path)
p = subprocess.Popen([nexit, "run", "--kernel", probe, "--no-defaults", "--cmdline",
                      "scenario=power-button"], env=env, stdout=subprocess.PIPE,
                     stderr=subprocess.DEVNULL)
msgs = [s.recv(256).decode()]
assert msgs[0].startswith("READY=1"), msgs
assert p.poll() is None, "READY before the VM runs"
time.sleep(0.5)
p.terminate()
msgs.append(s.recv(256).decode())
msgs.append(s.recv(256).decode())
rc = p.wait(20)
assert msgs[1].startswith("STOPPING=1") and "power button" in msgs[1], msgs
assert msgs[2] == "STOPPING=1", msgs
assert rc == 0, rc
print("lifecycle: sd_notify: %s" % " | ".join(m.replace("\n", " ") for m in msgs))
PY
[ $? = 0 ] || exit 1
echo "lifecycle: pass"
