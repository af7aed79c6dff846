#!/usr/bin/env bash
# bench/squashfs.sh: an image of format squashfs against the two usual ways
# of making one, side by side in one run on the same input (the busybox
# rootfs of the tests, or BENCH_TAR=FILE.tar[.gz]), with the same compressor
# and block size (128 KiB) and one compressor thread each (mvbuild uses one;
# mksquashfs -processors 1, tar2sqfs -j 1), so it compares work, not cores.
# Columns, each a median of $RUNS interleaved runs (bench/lib.sh):
#   mvbuild    `mvbuild build image:i` into a fresh cache (engine, source
#              digest, the tree built in a scratch filesystem, the squashfs)
#   mksquashfs `tar -x` into a fresh directory, then mksquashfs on it
#              (squashfs-tools; -noappend -no-xattrs: the tar has none)
#   tar2sqfs   the tarball streamed into tar2sqfs (squashfs-tools-ng, the
#              library mvbuild writes through), gunzipped on the way
# and the size of each output.  Usage: bench/squashfs.sh [WORKDIR]
set -eu
REPO=$(cd "$(dirname "$0")/.." && pwd)
. "$REPO/bench/lib.sh"
W=${1:-$(mktemp -d /tmp/mvbuild-bench-squashfs.XXXXXX)}
RUNS=${RUNS:-5}
tarball=${BENCH_TAR:-$REPO/recipes/rootfs/busybox-rootfs.tar.gz}
[ -f "$tarball" ] || "$REPO/tests/make-busybox-rootfs.sh" "$tarball" >/dev/null
for tool in mksquashfs tar2sqfs; do
	command -v "$tool" >/dev/null || { echo "bench/squashfs.sh: no $tool (make deps)" >&2; exit 1; }
done
make -s -C "$REPO" mvbuild >/dev/null
mkdir -p "$W/r"
cp "$tarball" "$W/r/layer.tar"
for c in xz zstd gzip; do
	cat >"$W/r/$c.yaml" <<Y
mvbuild: 1
sources:
  l: { path: layer.tar }
images:
  i: { format: squashfs, compression: $c, epoch: 1700000000, layers: [l] }
Y
done
cat >"$W/mv.sh" <<EOF
#!/bin/sh
rm -rf "$W/c" && exec "$REPO/mvbuild" -f "$W/r/\$1.yaml" --cache "$W/c" build image:i
EOF
cat >"$W/mksq.sh" <<EOF
#!/bin/sh
set -e
rm -rf "$W/x" "$W/mksq.out" && mkdir "$W/x" && tar -xf "$W/r/layer.tar" -C "$W/x"
exec mksquashfs "$W/x" "$W/mksq.out" -comp \$1 -b 131072 -processors 1 -noappend -no-xattrs \
	-mkfs-time 1700000000 -quiet -no-progress >/dev/null
EOF
cat >"$W/t2s.sh" <<EOF
#!/bin/sh
set -e
rm -f "$W/t2s.out"
gzip -dcf "$W/r/layer.tar" | tar2sqfs -q -c \$1 -b 131072 -j 1 "$W/t2s.out" >/dev/null
EOF
chmod +x "$W/mv.sh" "$W/mksq.sh" "$W/t2s.sh"
size_of() { "$REPO/mvbuild" -f "$W/r/$1.yaml" --cache "$W/c" build image:i >/dev/null 2>&1
	stat -c %s "$("$REPO/mvbuild" -f "$W/r/$1.yaml" --cache "$W/c" path image:i rootfs.squashfs)"; }
echo "input: $tarball ($(tar -tf "$tarball" | wc -l) entries, $(gzip -dcf "$tarball" | wc -c) bytes as tar), median of $RUNS runs"
echo
echo "| compression | mvbuild (ms) | tar -x + mksquashfs (ms) | tar2sqfs (ms) | mvbuild bytes | mksquashfs bytes | tar2sqfs bytes |"
echo "|---|---|---|---|---|---|---|"
for c in xz zstd gzip; do
	read -r mv mk t2 < <(interleaved_ms "$RUNS" "$W/mv.sh" "$c" -- "$W/mksq.sh" "$c" -- "$W/t2s.sh" "$c")
	mv_size=$(size_of "$c")
	"$W/mksq.sh" "$c"; mk_size=$(stat -c %s "$W/mksq.out")
	"$W/t2s.sh" "$c"; t2_size=$(stat -c %s "$W/t2s.out")
	echo "| $c | $mv | $mk | $t2 | $mv_size | $mk_size | $t2_size |"
done
