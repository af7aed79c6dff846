#!/usr/bin/env bash
# Runs every test program (C unit tests in $UNIT_DIR, end-to-end scripts in
# tests/e2e) and counts their TAP lines.  "ok ... # SKIP" is a skip, never a
# pass; a program that exits non-zero without a failing line counts one
# failure, and so does a program whose plan ("1..N", printed once) is missing
# or does not match the number of tests it ran.  The unit tests run in
# parallel (they share nothing); the end-to-end tests one at a time (they share
# the kernel in the suite's cache and the machine's cores).
# The last line is "N passed, N failed, N skipped".
#
# Usage: tests/run.sh [NAME-PATTERN...]   (default: everything)
set -u
here=$(cd "$(dirname "$0")" && pwd)
: "${MVBUILD:?set MVBUILD to the mvbuild binary under test}"
: "${UNIT_DIR:=}"
export MVBUILD TESTS_DIR="$here" REPO_DIR="$(dirname "$here")"
logdir=${TEST_LOG_DIR:-$REPO_DIR/build/test-logs}
mkdir -p "$logdir"

selected() {
	[ $# -eq 1 ] && return 0
	local name=$1; shift
	for pat in "$@"; do case "$name" in *$pat*) return 0 ;; esac; done
	return 1
}

units=() e2es=()
if [ -n "$UNIT_DIR" ]; then
	for t in "$UNIT_DIR"/test_*; do
		[ -x "$t" ] && selected "$(basename "$t")" "${@:-}" && units+=("$t")
	done
fi
for t in "$here"/e2e/*.sh; do
	[ -f "$t" ] && selected "$(basename "$t")" "${@:-}" && e2es+=("$t")
done

# run PROG: its output in LOG, then its exit status and seconds in LOG.status
run_one() {
	local prog=$1 name log start status
	name=$(basename "$prog")
	log="$logdir/$name.log"
	start=$(date +%s.%N)
	if [[ $prog == *.sh ]]; then bash "$prog" >"$log" 2>&1; else "$prog" >"$log" 2>&1; fi
	status=$?
	printf '%s %.1f\n' "$status" "$(echo "$(date +%s.%N) - $start" | bc)" >"$log.status"
}

passed=0 failed=0 skipped=0
# report PROG: count the TAP lines of its finished log and print its line
report() {
	local name log status secs p s f plans plan ran
	name=$(basename "$1")
	log="$logdir/$name.log"
	read -r status secs <"$log.status"
	p=$(grep -cE '^ok [0-9]+' "$log")
	s=$(grep -cE '^ok [0-9]+.*# (SKIP|skip)' "$log")
	f=$(grep -cE '^not ok [0-9]+' "$log")
	plans=$(grep -cE '^1\.\.[0-9]+$' "$log")
	plan=$(grep -oE '^1\.\.[0-9]+$' "$log" | tail -1 | cut -c4-)
	p=$((p - s))
	if [ "$status" -ne 0 ] && [ "$f" -eq 0 ]; then
		f=1
		echo "not ok - $name exited with status $status" >>"$log"
	fi
	ran=$((p + s + $(grep -cE '^not ok [0-9]+' "$log")))
	if [ "$plans" -ne 1 ] || [ "$plan" -ne "$ran" ]; then
		f=$((f + 1))
		echo "not ok - $name: its plan (${plans} line(s), last '1..${plan:-?}') does not match the $ran tests it ran" >>"$log"
	fi
	passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + s))
	printf '%-32s %3d passed %3d failed %3d skipped  %6ss\n' "$name" "$p" "$f" "$s" "$secs"
	if [ "$f" -gt 0 ]; then
		grep -E '^not ok|^#' "$log" | head -40 | sed 's/^/    /'
		echo "    (full log: $log)"
	fi
	grep -E '^ok [0-9]+.*# (SKIP|skip)' "$log" | sed 's/^/    /'
}

jobs=$(nproc 2>/dev/null || echo 2)
for prog in "${units[@]:-}"; do
	[ -n "$prog" ] || continue
	while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do wait -n; done
	run_one "$prog" &
done
wait
for prog in "${units[@]:-}"; do [ -n "$prog" ] && report "$prog"; done
for prog in "${e2es[@]:-}"; do
	[ -n "$prog" ] || continue
	run_one "$prog"
	report "$prog"
done
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
