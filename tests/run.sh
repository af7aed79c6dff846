#!/usr/bin/env bash
# Runs every test program (C unit tests in $UNIT_DIR, end-to-end scripts in
# tests/e2e) and counts their TAP lines.  "ok ... # SKIP" is a skip, never a
# pass; a program that exits non-zero without a failing line counts one
# failure.  The last line is "N passed, N failed, N skipped".
#
# Usage: tests/run.sh [NAME-PATTERN...]   (default: everything)
set -u
here=$(cd "$(dirname "$0")" && pwd)
: "${MVBUILD:?set MVBUILD to the mvbuild binary under test}"
: "${UNIT_DIR:=}"
export MVBUILD TESTS_DIR="$here" REPO_DIR="$(dirname "$here")"
logdir=${TEST_LOG_DIR:-$REPO_DIR/build/test-logs}
mkdir -p "$logdir"

programs=()
if [ -n "$UNIT_DIR" ]; then
	for t in "$UNIT_DIR"/test_*; do [ -x "$t" ] && programs+=("$t"); done
fi
for t in "$here"/e2e/*.sh; do [ -f "$t" ] && programs+=("$t"); done

selected() {
	[ $# -eq 1 ] && return 0
	local name=$1; shift
	for pat in "$@"; do case "$name" in *$pat*) return 0 ;; esac; done
	return 1
}

passed=0 failed=0 skipped=0
for prog in "${programs[@]}"; do
	name=$(basename "$prog")
	selected "$name" "${@:-}" || continue
	log="$logdir/$name.log"
	start=$(date +%s.%N)
	if [[ $prog == *.sh ]]; then bash "$prog" >"$log" 2>&1; else "$prog" >"$log" 2>&1; fi
	status=$?
	secs=$(printf '%.1f' "$(echo "$(date +%s.%N) - $start" | bc)")
	p=$(grep -cE '^ok [0-9]+' "$log" | head -1)
	s=$(grep -cE '^ok [0-9]+.*# (SKIP|skip)' "$log" | head -1)
	f=$(grep -cE '^not ok [0-9]+' "$log" | head -1)
	p=$((p - s))
	if [ "$status" -ne 0 ] && [ "$f" -eq 0 ]; then
		f=1
		echo "not ok - $name exited with status $status" >>"$log"
	fi
	passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + s))
	printf '%-32s %3d passed %3d failed %3d skipped  %6ss\n' "$name" "$p" "$f" "$s" "$secs"
	if [ "$f" -gt 0 ]; then
		grep -E '^not ok|^#' "$log" | head -40 | sed 's/^/    /'
		echo "    (full log: $log)"
	fi
	grep -E '^ok [0-9]+.*# (SKIP|skip)' "$log" | sed 's/^/    /'
done
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
