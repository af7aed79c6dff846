#!/usr/bin/env bash
# bench/image-sparse.sh: the cost of a roomy disk.  The same busybox rootfs
# (a few MB of data) built by the real ./mvbuild binary as an image of
# `size: 1G` and of `size: 64G`, each into an empty cache, so the figure
# includes everything a user pays: the engine, the writer, the output's
# content digest and publishing it.  Time is the best of $RUNS runs (wall
# clock).  The goal (issue 16): 64G within 1.2x the 1G time.
# Usage: bench/image-sparse.sh [WORKDIR] (MVBUILD=path overrides ./mvbuild)
set -eu
REPO=$(cd "$(dirname "$0")/.." && pwd)
W=${1:-$(mktemp -d /tmp/mvbuild-bench-sparse.XXXXXX)}
RUNS=${RUNS:-3}
MVBUILD=${MVBUILD:-$REPO/mvbuild}
mkdir -p "$W/recipe"
[ -n "${MVBUILD_NO_MAKE:-}" ] || make -s -C "$REPO" mvbuild >/dev/null
"$REPO/tests/make-busybox-rootfs.sh" "$W/recipe/rootfs.tar.gz" >/dev/null

# best wall time in seconds of RUNS builds of image NAME, each into an empty cache
best_build() {
	python3 - "$RUNS" "$MVBUILD" "$W" "$1" <<'PY'
import shutil, subprocess, sys, time
runs, mvbuild, w, name = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
best = None
for _ in range(runs):
    cache = "%s/cache-%s" % (w, name)
    shutil.rmtree(cache, ignore_errors=True)
    t = time.perf_counter()
    r = subprocess.run([mvbuild, "--cache", cache, "build", "image:" + name], cwd=w + "/recipe",
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    dt = time.perf_counter() - t
    if r.returncode != 0:
        sys.exit("bench: mvbuild build image:%s failed: %s" % (name, r.stderr.decode()))
    best = dt if best is None else min(best, dt)
shutil.rmtree("%s/cache-%s" % (w, name), ignore_errors=True)
print("%.2f" % best)
PY
}

cat >"$W/recipe/mvbuild.yaml" <<'Y'
mvbuild: 1
name: bench-sparse
sources:
  rootfs: { path: rootfs.tar.gz }
images:
  small:
    size: 1G
    epoch: 1700000000
    layers: [rootfs]
  roomy:
    size: 64G
    epoch: 1700000000
    layers: [rootfs]
Y

t1=$(best_build small)
t64=$(best_build roomy)
echo "| image of the busybox rootfs (\`mvbuild build\`, empty cache) | size: 1G | size: 64G | ratio |"
echo "|---|---|---|---|"
echo "| $(basename "$MVBUILD") | $t1 s | $t64 s | $(awk "BEGIN{printf \"%.2f\", $t64 / $t1}")× |"
