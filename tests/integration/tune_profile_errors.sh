#!/bin/bash
# A profile with an unknown key or a bad value is rejected with one
# "nexit: error: FILE:LINE: ..." line naming the key and what is accepted.
# test: needs=none
source "$(dirname "$0")/../lib.sh"
[ -x "$NEXIT" ] || fail "$NEXIT is not built"
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT

# reject NAME LINE EXPECTED-TEXT BODY
reject() {
	local name=$1 line=$2 want=$3 body=$4
	printf '%b' "$body" >$T/$name.ini
	"$NEXIT" tune $T/$name.ini --sysroot tests/fixtures/sysroot-intel >$T/out 2>$T/err &&
		fail "$name: accepted"
	[ "$(wc -l <$T/err)" = 1 ] || fail "$name: expected one error line, got: $(cat $T/err)"
	grep -qF "nexit: error: $T/$name.ini:$line: " $T/err || fail "$name: no file:line: $(cat $T/err)"
	grep -qF -- "$want" $T/err || fail "$name: message lacks '$want': $(cat $T/err)"
}
reject unknown-key 3 "unknown key 'turbo' in [host] (accepted: governor" \
	'; comment\n[host]\nturbo = on\n'
reject bad-governor 4 "governor = 'fast': expected keep, performance" \
	'[profile]\ndescription = x\n[host]\ngovernor = fast\n'
reject bad-fifo 3 "sched_fifo = '150': expected 0 (SCHED_OTHER) or a SCHED_FIFO priority 1-99" \
	'[vm]\nmlock = on\nsched_fifo = 150\n'
reject bad-pin 2 "pin_vcpus = '1:2': expected off, 1:1 or a CPU list" '[vm]\npin_vcpus = 1:2\n'
reject bad-bool 2 "hugepages = 'sometimes': expected on or off" '[vm]\nhugepages = sometimes\n'
reject bad-section 2 "unknown section [cpu]" '[cpu]\nfreq = max\n'
reject bad-syntax 3 "not a '[section]' or 'key = value' line" '[host]\nthp = never\njust words\n'
reject bad-number 2 "hugepages_2m = '1e3': expected keep or a number of pages" '[host]\nhugepages_2m = 1e3\n'
# the shipped profiles are valid
for p in latency throughput appliance; do
	"$NEXIT" tune $p --sysroot tests/fixtures/sysroot-intel >/dev/null 2>$T/err ||
		fail "shipped profile $p rejected: $(cat $T/err)"
done
# A bare name never comes from the current directory (issue 12): a planted
# tune/profiles/latency.ini there is not read.
nexit_abs=$(readlink -f "$NEXIT"); fixtures=$(readlink -f tests/fixtures)
mkdir -p $T/cwd/tune/profiles
printf '[profile]\ndescription = planted\n[host]\nplanted = 1\n' >$T/cwd/tune/profiles/latency.ini
( cd $T/cwd && "$nexit_abs" tune latency --sysroot "$fixtures/sysroot-intel" >$T/out 2>$T/err ) ||
	fail "a profile planted in the current directory was read: $(cat $T/err)"
echo "profiles: 8 bad files rejected with file:line, 3 shipped ones accepted, none from the cwd"
