#!/usr/bin/env bash
# Remote fetches run in worker threads, side by side, never under the
# scheduler's lock (src/engine/engine_run.c), against
# tests/remote/slow_server.py on 127.0.0.1 answering every GET after 1 s:
# - a writer builds 8 independent path sources into cache A and uploads them;
# - a reader fetches one of them into an empty cache: the time of one fetch;
# - a reader fetches all 8 into an empty cache B with -j8: the server's log
#   shows at least 4 requests in flight at once, the whole build takes less
#   than 3 single fetches (one after another it takes at least 8), nothing
#   is built, and every output is byte for byte cache A's;
# - without -j, the same into an empty cache C: the transfer pool is not
#   bound by the cores (a 2-core machine used to fetch two at a time).
. "$(dirname "$0")/../lib.sh"

N=8
DELAY=1
mkdir -p "$T/r" "$T/srv"
{
	printf 'mvbuild: 1\nname: remote-overlap-test\nsources:\n'
	for i in $(seq $N); do
		head -c 65536 /dev/urandom >"$T/r/s$i.bin"
		printf '  s%d: { path: s%d.bin }\n' "$i" "$i"
	done
} >"$T/r/mvbuild.yaml"
cd "$T/r"
# start_server NAME ARGS...: a slow_server.py in the background; its port in $port
start_server() {
	local name=$1; shift
	python3 "$TESTS_DIR/remote/slow_server.py" "$@" >"$T/$name.port" &
	on_exit "kill $! 2>/dev/null"
	for _ in $(seq 100); do [ -s "$T/$name.port" ] && break; sleep 0.1; done
	port=$(cat "$T/$name.port")
}
# "8 cached 8 fetched": how many events of each kind the last run reported
events() { grep -o '"event":"[a-z]*"' <<<"$errout" | cut -d'"' -f4 | sort | uniq -c | awk '{print $1, $2}' | paste -sd' '; }
# the output paths of a --json build, by target
paths() { sed -n 's/.*"target":"\([^"]*\)".*"path":"\([^"]*\)".*/\1 \2/p' <<<"$1" | sort; }
# elapsed START: seconds since START (a date +%s.%N)
elapsed() { echo "$(date +%s.%N) - $1" | bc; }
# most requests in flight at once among the spans in FILE from line FROM on
max_inflight() {
	python3 - "$1" "$2" <<'P'
import sys
marks = []
for line in open(sys.argv[1]).read().splitlines()[int(sys.argv[2]):]:
    start, end = line.split()[:2]
    marks += [(float(start), 1), (float(end), -1)]
now = best = 0
for _, step in sorted(marks, key=lambda m: (m[0], m[1])):  # an end before a start at a tie
    now += step
    best = max(best, now)
print(best)
P
}

"$MVBUILD" key generate --output "$T/ci" >/dev/null 2>&1
start_server fast --root "$T/srv"
cat >"$T/ci.yaml" <<Y
remote: { url: http://127.0.0.1:$port/cache, upload: true, upload_sources: true, signing_key: $T/ci.key, trusted_keys: [$T/ci.pub] }
Y
mvb --config "$T/ci.yaml" --cache "$T/a" --json -j $N build
must_succeed "the writer builds the $N sources into cache A"
outs_a=$out
check_eq "the writer uploads all $N" "$(grep -c '"event":"uploaded"' <<<"$errout")" $N

start_server slow --root "$T/srv" --delay $DELAY --spans "$T/spans"
cat >"$T/reader.yaml" <<Y
remote: { url: http://127.0.0.1:$port/cache, trusted_keys: [$T/ci.pub] }
Y
start=$(date +%s.%N)
mvb --config "$T/reader.yaml" --cache "$T/one" --json build source:s1
one=$(elapsed "$start")
check_eq "one source is fetched alone" "$(events)" "1 cached 1 fetched"
diag "one fetch: ${one}s (each GET waits ${DELAY}s: the record, then the blob)"

from=$(wc -l <"$T/spans")
start=$(date +%s.%N)
mvb --config "$T/reader.yaml" --cache "$T/b" --json -j $N build
all=$(elapsed "$start")
inflight=$(max_inflight "$T/spans" "$from")
diag "all $N fetched with -j$N: ${all}s; at most $inflight requests in flight at once"
check_eq "the reader build succeeds" "$rc" 0
check_eq "all $N are fetched, none built" "$(events)" "$N cached $N fetched"
check "at least 4 requests were in flight at once ($inflight)" test "$inflight" -ge 4
check "$N fetches take less than 3 single ones (${all}s vs 3 x ${one}s; one after another: >= ${N}x)" \
	test "$(echo "$all < 3 * $one" | bc)" = 1
check_eq "the reader asked only for records and blobs" \
	"$(tail -n +$((from + 1)) "$T/spans" | awk '{print $3}' | sort | uniq -c | tr -s ' ')" " $((2 * N)) GET"
same=0
join <(paths "$outs_a") <(paths "$out") >"$T/pairs"
while read -r _ a b; do cmp -s "$a" "$b" && [ "$a" != "$b" ] && same=$((same + 1)); done <"$T/pairs"
check_eq "every output in cache B is byte for byte cache A's" "$same" $N
mvb --cache "$T/b" cache verify
check_eq "cache B verifies" "$rc" 0

from=$(wc -l <"$T/spans")
start=$(date +%s.%N)
mvb --config "$T/reader.yaml" --cache "$T/c" --json build
all=$(elapsed "$start")
inflight=$(max_inflight "$T/spans" "$from")
diag "all $N fetched without -j ($(nproc) cores): ${all}s; at most $inflight requests in flight at once"
check_eq "without -j, all $N are fetched, none built" "$(events)" "$N cached $N fetched"
check "without -j, at least 4 requests were in flight at once ($inflight)" test "$inflight" -ge 4
check "without -j, $N fetches take less than 3 single ones (${all}s vs 3 x ${one}s)" \
	test "$(echo "$all < 3 * $one" | bc)" = 1
done_testing
