#!/usr/bin/env bash
# A remote can slow a build by a bounded amount, never stall it
# (docs/remote.md, docs/security.md), against tests/remote/slow_server.py
# on 127.0.0.1:
# - a remote that trickles blobs at 3 KiB/s (above curl's 1 KiB/s
#   low-speed limit) misses the blob's deadline (timeout + size at
#   min_speed); the node is built locally and the remote is not asked again;
# - a remote that answers every record slowly, each within the timeout,
#   stops being consulted once the run's budget is spent.
# The elapsed times printed are hang detectors with wide margins, not speed
# tests: without the bounds the first case takes minutes.
. "$(dirname "$0")/../lib.sh"

rootfs=$(busybox_rootfs)
mkdir -p "$T/r" "$T/srv"
cp "$rootfs" "$T/r/rootfs.tar.gz"
cat >"$T/r/mvbuild.yaml" <<'Y'
mvbuild: 1
name: remote-bound-test
sources:
  rootfs: { path: rootfs.tar.gz }
images:
  small:
    size: 64M
    epoch: 1700000000
    layers: [rootfs]
    overlays:
      - { content: "bound\n", to: /etc/hostname, mode: "0644" }
Y
cd "$T/r"
# start_server NAME ARGS...: a slow_server.py in the background; its port in $port
start_server() {
	local name=$1; shift
	python3 "$TESTS_DIR/remote/slow_server.py" --log "$T/$name.log" "$@" >"$T/$name.port" &
	on_exit "kill $! 2>/dev/null"
	for _ in $(seq 100); do [ -s "$T/$name.port" ] && break; sleep 0.1; done
	port=$(cat "$T/$name.port")
}
events() { grep -o '"event":"[a-z]*","node":"[^"]*"' <<<"$errout" | sed 's/"event":"\([a-z]*\)","node":"\([^"]*\)"/\1 \2/' | sort | tr '\n' ' '; }

"$MVBUILD" key generate --output "$T/ci" >/dev/null 2>&1
start_server fast --root "$T/srv"
cat >"$T/ci.yaml" <<Y
remote: { url: http://127.0.0.1:$port/cache, upload: true, signing_key: $T/ci.key, trusted_keys: [$T/ci.pub] }
Y
s0=$(date +%s); mvb --config "$T/ci.yaml" --cache "$T/ci-cache" --json build image:small
check_eq "a writer uploads the image at full speed" "$rc" 0; diag "writer $(( $(date +%s) - s0 ))s"
check_contains "the writer uploaded the image" "$(events)" "uploaded image:small"

# the trickling remote: every byte of a GET at 3 KiB/s
start_server trickle --root "$T/srv" --rate 3072
cat >"$T/trickle.yaml" <<Y
remote: { url: http://127.0.0.1:$port/cache, trusted_keys: [$T/ci.pub], timeout: 3 }
Y
start=$(date +%s.%N)
mvb --config "$T/trickle.yaml" --cache "$T/c1" --json build image:small
secs=$(echo "$(date +%s.%N) - $start" | bc)
check_eq "trickling remote: the build succeeds" "$rc" 0
check_contains "trickling remote: the image is built locally" "$(events)" "built image:small"
check_contains "trickling remote: the blob missed its deadline" "$errout" "its deadline was"
check_eq "trickling remote: said once" "$(grep -c 'building without it' <<<"$errout")" 1
check_eq "trickling remote: one blob was asked for, and nothing after it" \
	"$(grep -c '^GET /cache/cas/' "$T/trickle.log")" 1
check "trickling remote: no hang (${secs}s; without the deadline: minutes)" \
	test "$(echo "$secs < 60" | bc)" = 1
mvb --cache "$T/c1" cache verify
check_eq "trickling remote: nothing partial entered the cache" "$rc" 0

# a remote that takes 1 s for every record (each within the 2 s timeout), and a 3.5 s budget
{
	printf 'mvbuild: 1\nname: remote-budget-test\nsources:\n'
	for i in $(seq 10); do
		printf 'x%d\n' "$i" >"$T/r/s$i.txt"
		printf '  s%d: { path: s%d.txt }\n' "$i" "$i"
	done
} >"$T/r/many.yaml"
mkdir -p "$T/empty-srv"
start_server slow --root "$T/empty-srv" --delay 1
cat >"$T/slow.yaml" <<Y
remote: { url: http://127.0.0.1:$port/cache, trusted_keys: [$T/ci.pub], timeout: 2, budget: 3.5 }
Y
start=$(date +%s.%N)
mvb -f "$T/r/many.yaml" --config "$T/slow.yaml" --cache "$T/c2" -j 1 build
secs=$(echo "$(date +%s.%N) - $start" | bc)
asked=$(grep -c '^GET /cache/ac/' "$T/slow.log")
check_eq "slow records: the build succeeds" "$rc" 0
check_eq "slow records: all 10 sources are built" "$(wc -l <<<"$out")" 10
check_contains "slow records: the budget is said to be spent" "$errout" "time budget of 3.5 s for this run is spent"
check_eq "slow records: said once" "$(grep -c 'building without it' <<<"$errout")" 1
check "slow records: the remote was asked $asked times, not once per node" test "$asked" -lt 10
check "slow records: no hang (${secs}s)" test "$(echo "$secs < 60" | bc)" = 1

# a bad budget or floor speed in the config is a settings error
printf 'remote: { url: http://127.0.0.1:1/, budget: forever }\n' >"$T/bad.yaml"
mvb --config "$T/bad.yaml" --cache "$T/c3" gc
check_eq "budget: forever is refused" "$rc" 2
check_contains "budget: forever names the key" "$errout" "'budget' must be seconds"
printf 'remote: { url: http://127.0.0.1:1/, min_speed: 0 }\n' >"$T/bad.yaml"
mvb --config "$T/bad.yaml" --cache "$T/c3" gc
check_eq "min_speed: 0 is refused" "$rc" 2
done_testing
