#!/usr/bin/env bash
# Runs each libFuzzer harness (built by `make fuzz-build`) for
# FUZZ_SECONDS (default 60; fuzz_record, whose inputs are small and fast,
# at most FUZZ_RECORD_SECONDS, default 30) on its seed corpus; one TAP line
# per harness with the inputs executed and crashes found (0 expected).
. "$(dirname "$0")/../lib.sh"
secs=${FUZZ_SECONDS:-60}
fuzzdir=$REPO_DIR/build/fuzz
if ! make -s -C "$REPO_DIR" fuzz-build >"$T/build.log" 2>&1; then
	nok "fuzz harnesses build"; diag "$(tail -20 "$T/build.log")"; done_testing; exit
fi
for h in "$fuzzdir"/fuzz_*; do
	[ -x "$h" ] || continue
	name=$(basename "$h")
	corpus=$T/corpus-$name
	mkdir -p "$corpus" "$T/crash-$name"
	seeds=$REPO_DIR/tests/fuzz/corpus/${name#fuzz_}
	[ -d "$seeds" ] && cp -r "$seeds"/. "$corpus"/
	if [ "$name" = fuzz_recipe ]; then
		find "$REPO_DIR/tests/recipes" "$REPO_DIR/recipes" -name '*.yaml' -size -64k \
			-exec cp {} "$corpus"/ \; 2>/dev/null
	fi
	hsecs=$secs
	[ "$name" = fuzz_record ] && [ "$secs" -gt "${FUZZ_RECORD_SECONDS:-30}" ] &&
		hsecs=${FUZZ_RECORD_SECONDS:-30}
	"$h" -max_total_time="$hsecs" -timeout=10 -rss_limit_mb=1024 -max_len=65536 \
		-artifact_prefix="$T/crash-$name/" "$corpus" >"$T/$name.log" 2>&1
	status=$?
	execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$T/$name.log" | grep -o '[0-9]*$')
	[ -n "$execs" ] || execs=$(grep -oE '#[0-9]+' "$T/$name.log" | tail -1 | tr -d '#')
	crashes=$(find "$T/crash-$name" -type f | wc -l)
	if [ "$status" -eq 0 ] && [ "$crashes" -eq 0 ]; then
		ok "$name: ${execs:-0} inputs executed in ${hsecs}s, crashes: 0"
	else
		nok "$name: ${execs:-0} inputs executed, crashes: $crashes (status $status)"
		diag "$(grep -A30 'ERROR' "$T/$name.log" | head -40)"
		mkdir -p "$REPO_DIR/build/fuzz-crashes"
		cp "$T/crash-$name"/* "$REPO_DIR/build/fuzz-crashes/" 2>/dev/null
	fi
done
done_testing
