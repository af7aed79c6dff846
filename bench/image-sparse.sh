#!/usr/bin/env bash
# bench/image-sparse.sh: the cost of a roomy disk.  The same busybox rootfs
# (a few MB of data) built by the real ./mvbuild binary as an image of
# `size: 1G` and of `size: 64G`, each into an empty cache, so the figure
# includes everything a user pays: the engine, the writer, the output's
# content digest and publishing it.  Beside it, in the same rounds, the
# reference: `mke2fs -t ext4 -d` on the extracted tree, for the same two
# sizes (mke2fs syncs the image too, but neither digests nor publishes it).
# Time is the best of $RUNS rounds (wall clock); MiB is what each image
# allocates on the host (du); the last column is the median of each round's
# 64G/1G ratio.  The goal (issue 16): 64G within 1.2x the 1G
# time.
# Usage: bench/image-sparse.sh [WORKDIR] (MVBUILD=path overrides ./mvbuild)
set -eu
REPO=$(cd "$(dirname "$0")/.." && pwd)
W=${1:-$(mktemp -d /tmp/mvbuild-bench-sparse.XXXXXX)}
RUNS=${RUNS:-3}
MVBUILD=${MVBUILD:-$REPO/mvbuild}
mkdir -p "$W/recipe"
[ -n "${MVBUILD_NO_MAKE:-}" ] || make -s -C "$REPO" mvbuild >/dev/null
"$REPO/tests/make-busybox-rootfs.sh" "$W/recipe/rootfs.tar.gz" >/dev/null

# best wall times of RUNS rounds; each round builds, in turn, image:small and
# image:roomy with mvbuild (each into an empty cache) and the same two sizes
# with mke2fs -t ext4 -d from the extracted tree (each into a new file), so
# all four share the machine's load.  Prints "NAME SECONDS KIB" per line, KIB
# being what the output allocates (du), then per tool the median over the
# rounds of 64G / 1G within a round: on a loaded machine the two builds of a
# round share its load, so that ratio moves less than the ratio of the bests.
best_builds() {
	python3 - "$RUNS" "$MVBUILD" "$W" <<'PY'
import os, shutil, subprocess, sys, time
runs, mvbuild, w = int(sys.argv[1]), sys.argv[2], sys.argv[3]
def mvb(name):
    cache = "%s/cache-%s" % (w, name)
    shutil.rmtree(cache, ignore_errors=True)
    t = time.perf_counter()
    r = subprocess.run([mvbuild, "--cache", cache, "build", "image:" + name], cwd=w + "/recipe",
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    dt = time.perf_counter() - t
    if r.returncode != 0:
        sys.exit("bench: mvbuild build image:%s failed: %s" % (name, r.stderr.decode()))
    img = [l.split()[-1] for l in r.stdout.decode().splitlines() if " rootfs.ext4 " in l][0]
    return dt, os.stat(img).st_blocks // 2
def mke2fs(size):
    img = "%s/mke2fs-%s.img" % (w, size)
    if os.path.exists(img):
        os.unlink(img)
    t = time.perf_counter()
    r = subprocess.run(["mke2fs", "-q", "-F", "-t", "ext4", "-d", w + "/tree", img, size],
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    dt = time.perf_counter() - t
    if r.returncode != 0:
        sys.exit("bench: mke2fs %s failed: %s" % (size, r.stderr.decode()))
    return dt, os.stat(img).st_blocks // 2
jobs = [("mvbuild-1G", lambda: mvb("small")), ("mvbuild-64G", lambda: mvb("roomy")),
        ("mke2fs-1G", lambda: mke2fs("1G")), ("mke2fs-64G", lambda: mke2fs("64G"))]
best, ratios = {}, {"mvbuild": [], "mke2fs": []}
for _ in range(runs):
    took = {}
    for name, job in jobs:
        dt, kib = job()
        took[name] = dt
        if name not in best or dt < best[name][0]:
            best[name] = (dt, kib)
    for tool in ratios:
        ratios[tool].append(took[tool + "-64G"] / took[tool + "-1G"])
for name, _ in jobs:
    print(name, "%.4f" % best[name][0], best[name][1])
for tool, r in ratios.items():
    print(tool + "-ratio", "%.4f" % sorted(r)[len(r) // 2], 0)
for d in ("cache-small", "cache-roomy"):
    shutil.rmtree("%s/%s" % (w, d), ignore_errors=True)
for size in ("1G", "64G"):
    if os.path.exists("%s/mke2fs-%s.img" % (w, size)):
        os.unlink("%s/mke2fs-%s.img" % (w, size))
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

rm -rf "$W/tree"
mkdir -p "$W/tree"
tar -xzf "$W/recipe/rootfs.tar.gz" -C "$W/tree"
best_builds >"$W/times"
# row LABEL TOOL: one table row of the 1G and 64G figures of TOOL from $W/times
row() {
	awk -v label="$1" -v tool="$2" '
		$1 == tool "-1G" { t1 = $2; k1 = $3 }
		$1 == tool "-64G" { t64 = $2; k64 = $3 }
		$1 == tool "-ratio" { r = $2 }
		END { printf "| %s | %.3f s (%.1f MiB) | %.3f s (%.1f MiB) | %.2f× | %.2f× |\n",
			label, t1, k1 / 1024, t64, k64 / 1024, t64 / t1, r }' "$W/times"
}
echo "| image of the busybox rootfs (MiB: what the image allocates) | size: 1G | size: 64G | ratio of the best | median ratio in a round |"
echo "|---|---|---|---|---|"
row "\`$(basename "$MVBUILD") build\`, empty cache" mvbuild
row "\`mke2fs -t ext4 -d\` on the extracted tree (reference)" mke2fs
