#!/usr/bin/env bash
# No-op build time: `mvbuild build` on a recipe whose outputs are all cached,
# next to ninja's no-op (one up-to-date edge), the floor a build tool's start
# can reach.  The two run interleaved, 21 times each (bench/lib.sh
# interleaved_ms), and the ratio of their medians is the figure (goal: <= 1.5x).
#
# Usage: bench/noop.sh [CACHE_DIR [RECIPE]]   (defaults: ./cache, recipes/demo.yaml)
# The first build fills CACHE_DIR, which for the demo means building its
# kernel (minutes).  To skip that, pass a copy of a cache that already holds
# it, e.g. `cp -a /work/testcache /tmp/noop-cache && bench/noop.sh /tmp/noop-cache`.
set -eu
cd "$(dirname "$0")/.."
cache=${1:-cache}
recipe=${2:-recipes/demo.yaml}
runs=21
mv=${MVBUILD:-./mvbuild} # MVBUILD=other/mvbuild measures another build
[ -x "$mv" ] || make -s mvbuild
make -s recipes/rootfs/busybox-rootfs.tar.gz
command -v ninja >/dev/null || { echo "noop.sh: ninja not found (make deps installs ninja-build)" >&2; exit 1; }
echo "build (once; minutes if the cache does not hold the kernel yet)..." >&2
$mv -f "$recipe" --cache "$cache" build >/dev/null
sleep 2.1 # let freshly written outputs leave the memo's racy window
$mv -f "$recipe" --cache "$cache" build >/dev/null 2>&1

# ninja's no-op: one edge whose output is newer than its input
nj=$(mktemp -d)
trap 'rm -rf "$nj"' EXIT
printf 'rule cp\n  command = cp $in $out\nbuild out: cp in\n' >"$nj/build.ninja"
echo x >"$nj/in"
ninja -C "$nj" >/dev/null

. bench/lib.sh # (the script has cd to the top of the repo)

read -r noop ninja_ms startup < <(interleaved_ms $runs \
	$mv -f "$recipe" --cache "$cache" build -- ninja -C "$nj" -- $mv --version)
echo "command: ${MVBUILD:+MVBUILD=$MVBUILD }bench/noop.sh $cache $recipe (interleaved, median of $runs)"
echo "mvbuild -f $recipe build, nothing to do: $noop ms"
echo "ninja, one up-to-date edge:              $ninja_ms ms"
echo "mvbuild --version (process start alone): $startup ms"
printf 'ratio mvbuild no-op / ninja no-op: %.2fx (goal: <= 1.5x)\n' "$(echo "$noop / $ninja_ms" | bc -l)"
