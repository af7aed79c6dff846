#!/usr/bin/env bash
# bench/initramfs.sh: an image of format cpio against the usual way of
# making an initramfs, side by side in one run on the same input (the busybox
# rootfs of the tests, or BENCH_TAR=FILE.tar[.gz]).
# Columns, each a median of $RUNS interleaved runs (bench/lib.sh):
#   mvbuild   `mvbuild build image:i` into a fresh cache (engine, source
#             digest, the tree built in a scratch filesystem, the archive)
#   reference `tar -x` into a fresh directory, then
#             `find . | LC_ALL=C sort | cpio -o -H newc --reproducible | gzip -n`
# and the size of each output.  The reference runs unprivileged, so its
# archive has this user's owners, not the tar's: it is a timing, not an
# equivalent.  Usage: bench/initramfs.sh [WORKDIR]
set -eu
REPO=$(cd "$(dirname "$0")/.." && pwd)
. "$REPO/bench/lib.sh"
W=${1:-$(mktemp -d /tmp/mvbuild-bench-initramfs.XXXXXX)}
RUNS=${RUNS:-9}
tarball=${BENCH_TAR:-$REPO/recipes/rootfs/busybox-rootfs.tar.gz}
[ -f "$tarball" ] || "$REPO/tests/make-busybox-rootfs.sh" "$tarball" >/dev/null
make -s -C "$REPO" mvbuild >/dev/null
mkdir -p "$W/r"
cp "$tarball" "$W/r/layer.tar"
for c in gzip zstd; do
	cat >"$W/r/$c.yaml" <<Y
mvbuild: 1
sources:
  l: { path: layer.tar }
images:
  i: { format: cpio, compression: $c, epoch: 1700000000, layers: [l] }
Y
done
cat >"$W/mv.sh" <<EOF
#!/bin/sh
rm -rf "$W/c" && exec "$REPO/mvbuild" -f "$W/r/\$1.yaml" --cache "$W/c" build image:i
EOF
cat >"$W/ref.sh" <<EOF
#!/bin/sh
set -e
rm -rf "$W/x" && mkdir "$W/x" && tar -xf "$W/r/layer.tar" -C "$W/x"
cd "$W/x" && find . | LC_ALL=C sort | cpio -o -H newc --reproducible --quiet | \$1 >"$W/ref.out"
EOF
chmod +x "$W/mv.sh" "$W/ref.sh"
read -r mv_gz ref_gz mv_zst ref_zst < <(interleaved_ms "$RUNS" "$W/mv.sh" gzip -- "$W/ref.sh" "gzip -n" \
	-- "$W/mv.sh" zstd -- "$W/ref.sh" "zstd -q")
size_of() { "$REPO/mvbuild" -f "$W/r/$1.yaml" --cache "$W/c" build image:i >/dev/null 2>&1
	stat -c %s "$("$REPO/mvbuild" -f "$W/r/$1.yaml" --cache "$W/c" path image:i "$2")"; }
mv_gz_size=$(size_of gzip initramfs.cpio.gz); mv_zst_size=$(size_of zstd initramfs.cpio.zst)
"$W/ref.sh" "gzip -n"; ref_gz_size=$(stat -c %s "$W/ref.out")
"$W/ref.sh" "zstd -q"; ref_zst_size=$(stat -c %s "$W/ref.out")
echo "input: $tarball ($(tar -tf "$tarball" | wc -l) entries), median of $RUNS runs"
echo
echo "| compression | mvbuild (ms) | tar -x + find + cpio (ms) | mvbuild bytes | reference bytes |"
echo "|---|---|---|---|---|"
echo "| gzip | $mv_gz | $ref_gz | $mv_gz_size | $ref_gz_size |"
echo "| zstd | $mv_zst | $ref_zst | $mv_zst_size | $ref_zst_size |"
