#!/usr/bin/env bash
# No-op build time: after a full build of recipes/demo.yaml, the median wall
# time of `mvbuild build` over 20 runs, next to the no-op `make` of the
# kernel object directory (what a make-based flow pays every time).
# Usage: bench/noop.sh [CACHE_DIR]   (default: ./cache)
set -eu
cd "$(dirname "$0")/.."
cache=${1:-cache}
mv=./mvbuild
[ -x "$mv" ] || make -s mvbuild
make -s recipes/rootfs/busybox-rootfs.tar.gz
echo "full build (once, may take minutes on a cold cache)..." >&2
$mv -f recipes/demo.yaml --cache "$cache" build >/dev/null
sleep 2.1 # let freshly written outputs leave the memo's racy window
$mv -f recipes/demo.yaml --cache "$cache" build >/dev/null 2>&1

median_ms() { sort -n | awk '{a[NR]=$1} END {m=(NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2; printf "%.2f", m}'; }
times=()
for _ in $(seq 20); do
	s=$(date +%s%N)
	$mv -f recipes/demo.yaml --cache "$cache" build >/dev/null 2>&1
	e=$(date +%s%N)
	times+=("$(echo "($e - $s) / 1000000" | bc -l)")
done
noop=$(printf '%s\n' "${times[@]}" | median_ms)
echo "mvbuild no-op build, median of 20: $noop ms"

objdir=$(ls -d "$cache"/kbuild/*/ 2>/dev/null | head -1 || true)
if [ -n "$objdir" ] && [ -f "$objdir/Makefile" ]; then
	s=$(date +%s%N)
	make -s -C "$objdir" -j"$(nproc)" >/dev/null 2>&1 || true
	e=$(date +%s%N)
	mk=$(echo "($e - $s) / 1000000" | bc -l)
	printf 'make no-op in the kernel object dir: %.0f ms (ratio %.0fx)\n' "$mk" "$(echo "$mk / $noop" | bc -l)"
fi
