#!/bin/bash
# Bad input: each case exits with status 2 (nexit's own errors are even, so a
# runner tells them from a guest's isa-debug-exit status, always odd) and
# exactly one "nexit: error:" line, within 5 s.
# test: needs=kvm
source "$(dirname "$0")/../lib.sh"
need_kvm
T=$(mktemp -d); trap 'rm -rf $T' EXIT

printf 'this is not a kernel\n' > $T/garbage
head -c 4096 /bin/ls > $T/notelf                     # ELF magic but truncated
python3 - $T/trunc.bzImage <<'PY'
import sys, struct
# A bzImage setup header ("HdrS" at 0x202, boot flag 0xaa55 at 0x1fe) claiming
# 4 setup sectors and a protected-mode kernel, cut off right after the header.
b = bytearray(0x300)
b[0x1f1] = 4
struct.pack_into('<H', b, 0x1fe, 0xaa55)
b[0x202:0x206] = b'HdrS'
struct.pack_into('<H', b, 0x206, 0x020f)
struct.pack_into('<I', b, 0x1f4, 0x100000)        # syssize (16-byte paras)
b[0x211] = 1                                     # loadflags: LOADED_HIGH
open(sys.argv[1], 'wb').write(b)
PY
# An ELF64 whose segment wants to load at 64 GiB.
python3 - $T/far.elf <<'PY'
import sys, struct
eh = struct.pack('<4sBBBBB7xHHIQQQIHHHHHH', b'\x7fELF', 2, 1, 1, 0, 0, 2, 62, 1,
                 0x1000000000, 64, 0, 0, 64, 56, 1, 0, 0, 0)
ph = struct.pack('<IIQQQQQQ', 1, 7, 0x1000, 0x1000000000, 0x1000000000, 16, 16, 0x1000)
open(sys.argv[1], 'wb').write(eh + ph + b'\x90' * 0x1000)
PY
printf '[vm]\nmemory = 64M\nbogus = 1\n' > $T/unknown.ini
printf '[vm]\nmemory = 64M\nthis line is malformed\n' > $T/malformed.ini
printf '[vm]\ncpus = lots\n' > $T/badval.ini

maxcpus=$(python3 -c 'import fcntl,os; fd=os.open("/dev/kvm",os.O_RDWR); print(fcntl.ioctl(fd,0xae03,66))')
hostmb=$(awk '/MemTotal/{print int($2/1024)}' /proc/meminfo)

cases=(
  "missing kernel|--kernel $T/does-not-exist"
  "neither ELF nor bzImage|--kernel $T/garbage"
  "truncated ELF|--kernel $T/notelf"
  "truncated bzImage|--kernel $T/trunc.bzImage"
  "mem 0|--kernel $PROBE --mem 0"
  "mem larger than host|--kernel $PROBE --mem $((hostmb * 2))M"
  "cpus above KVM max|--kernel $PROBE --cpus $((maxcpus + 1))"
  "unknown config key|--config $T/unknown.ini --kernel $PROBE"
  "malformed INI line|--config $T/malformed.ini --kernel $PROBE"
  "bad config value|--config $T/badval.ini --kernel $PROBE"
  "load address beyond RAM|--kernel $T/far.elf --mem 64M"
  "no kernel at all|--mem 64M"
  "unknown option|--kernel $PROBE --frobnicate"
  "bad irqchip|--kernel $PROBE --irqchip magic"
)
bad=0
for c in "${cases[@]}"; do
	name=${c%%|*}; args=${c#*|}
	out=$(timeout -k 5 5 $NEXIT run --timeout 5 $args 2>&1 </dev/null); rc=$?
	nerr=$(grep -c '^nexit: error:' <<<"$out")
	if [ $rc -ne 2 ] || [ "$nerr" -ne 1 ]; then
		echo "FAIL [$name]: rc=$rc, $nerr error lines:"; echo "$out" | head -5 | sed 's/^/    /'
		bad=1
	else
		echo "ok   [$name]: $(grep '^nexit: error:' <<<"$out")"
	fi
done

# A guest that triple-faults (an empty IDT, then int3: #GP -> #DF ->
# shutdown) is a fatal guest error: status 2 with the registers printed,
# never an odd status a guest could also have chosen through isa-debug-exit.
# (kvm_pvm, which emulates guest ring 0, reports the same guest as an
# emulation failure instead of KVM_EXIT_SHUTDOWN: also fatal, also 2.)
python3 tests/triple_fault_elf.py $T/triple.elf
out=$(timeout -k 5 20 $NEXIT run --kernel $T/triple.elf --mem 64M --no-defaults --timeout 15 2>&1 </dev/null); rc=$?
if [ $rc -ne 2 ] || ! grep -Eq '^nexit: error: vCPU 0: (triple fault|KVM internal error)' <<<"$out"; then
	echo "FAIL [triple fault]: rc=$rc (expected 2 and the fault):"; echo "$out" | head -5 | sed 's/^/    /'
	bad=1
else
	echo "ok   [triple fault]: rc=2, $(grep '^nexit: error:' <<<"$out")"
fi
exit $bad
