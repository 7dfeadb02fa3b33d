#!/bin/bash
# tests/fuzz/run.sh SECONDS [NAME...] - runs each libFuzzer harness of
# tests/fuzz (or the NAMEs) for SECONDS, from its seeds (seeds.py) and the
# corpus kept in build/fuzz/corpus/NAME, with ASan + UBSan; a crash, leak,
# timeout (10 s per input) or out-of-memory fails, its input kept as
# build/fuzz/artifacts/NAME-*. One line per harness with its executions;
# build/fuzz/summary.jsonl has the figures docs/security.md quotes.
# tests/fuzz/run.sh --list prints the names.
cd "$(dirname "$0")/../.."
if [ "$1" = --list ]; then
	for f in tests/fuzz/fuzz_*.c; do basename "$f" .c; done
	exit 0
fi
secs=${1:?usage: tests/fuzz/run.sh SECONDS [NAME...]}; shift
names=("$@")
if [ ${#names[@]} = 0 ]; then
	names=($(tests/fuzz/run.sh --list))
	rm -f build/fuzz/summary.jsonl		# a whole run: its own figures
fi
command -v clang >/dev/null || { echo "skip: no clang (make deps installs it)"; exit 77; }
make --no-print-directory -s fuzz-bins || { echo "FAIL: building the fuzz harnesses"; exit 1; }
B=build/fuzz
rm -rf $B/seeds && python3 tests/fuzz/seeds.py $B/seeds || { echo "FAIL: seeds.py"; exit 1; }
mkdir -p $B/artifacts
bad=0
for n in "${names[@]}"; do
	mkdir -p $B/corpus/$n $B/seeds/$n
	# -close_fd_mask=3: nexit's expected error lines stay out of the log
	# (libFuzzer keeps its own reports on a copy of stderr).
	$B/$n -max_total_time=$secs -timeout=10 -rss_limit_mb=2048 -max_len=4096 \
		-close_fd_mask=3 -print_final_stats=1 -artifact_prefix=$B/artifacts/$n- \
		$B/corpus/$n $B/seeds/$n >$B/$n.log 2>&1
	rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' $B/$n.log | tail -n1)
	cov=$(grep -o 'cov: [0-9]*' $B/$n.log | tail -n1)
	echo "fuzz $n: ${execs:-0} executions in $secs s, ${cov:-cov: ?}, exit $rc"
	printf '{"name":"%s","seconds":%s,"executions":%s,"exit":%s}\n' $n $secs ${execs:-0} $rc >>$B/summary.jsonl
	if [ $rc -ne 0 ]; then
		bad=1
		grep -E 'ERROR|SUMMARY|runtime error|Test unit written' $B/$n.log | head -n 5
	fi
done
[ $bad -eq 0 ] || { echo "FAIL: a harness found a crash, leak or timeout (inputs in $B/artifacts)"; exit 1; }
echo "pass: ${#names[@]} harnesses, no crash, leak or timeout"
