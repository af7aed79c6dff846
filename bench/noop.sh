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

. bench/lib.sh # (the script has cd to the top of the repo)

noop=$(median_ms 20 $mv -f recipes/demo.yaml --cache "$cache" build)
echo "mvbuild no-op build, median of 20: $noop ms"
startup=$(median_ms 20 $mv --version)
echo "mvbuild --version (process start alone), median of 20: $startup ms"

# The same no-op through make, as the kernel builder runs it (same fixed
# environment, so nothing is stale): what a make-driven flow pays each time.
objdir=$(ls -d "$cache"/kbuild/*/ 2>/dev/null | head -1 || true)
if [ -n "$objdir" ] && [ -f "$objdir/Makefile" ]; then
	kenv=(env "KBUILD_BUILD_TIMESTAMP=Thu Jan  1 00:00:00 UTC 1970" KBUILD_BUILD_USER=mvbuild
		KBUILD_BUILD_HOST=mvbuild KBUILD_BUILD_VERSION=1 LC_ALL=C)
	"${kenv[@]}" make -s -C "$objdir" -j"$(nproc)" bzImage vmlinux >/dev/null 2>&1 || true
	mk=$(median_ms 3 "${kenv[@]}" make -s -C "$objdir" -j"$(nproc)" bzImage vmlinux)
	printf 'make no-op in the kernel object dir, median of 3: %.0f ms (%.0fx the mvbuild no-op)\n' \
		"$mk" "$(echo "$mk / $noop" | bc -l)"
fi
