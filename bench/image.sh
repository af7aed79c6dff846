#!/usr/bin/env bash
# bench/image.sh: the real `mvbuild build` of a root image against the usual
# way of making one, side by side in one run on the same inputs.
#
# Inputs: (a) the busybox rootfs of the tests, (b) a Debian minbase tree
# (debootstrap, only with BENCH_MINBASE=DIR of an existing tree or
# BENCH_DEBOOTSTRAP=1, which reaches deb.debian.org), each packed as .tar and
# .tar.gz, and (c) flat directories of 2,000 / 8,000 / 20,000 files.
# Headline (issue 16, goal 2): `mvbuild build` into an empty cache of the
# recipe `sources: {root: {path: X.tar}}`, `images: {rootfs: {size: S,
# layers: [root]}}` (everything a user pays: engine, source digest, writer,
# output digest, publish), against `mke2fs -t ext4 -d` on the already
# extracted tree (extraction not counted) for .tar, and against `gzip -dc`
# alone for .tar.gz; the goals are <= 1.0x and <= 1.1x, peak RSS <= 64 MiB.
# Extra column: the image writer through its C API (tests/image/image-write,
# no engine, no digests, no cache).  Time is the best of $RUNS runs (wall
# clock); memory is the peak RSS of that run (/usr/bin/time -f %M), and its
# user + system CPU time is printed too.
# Usage: bench/image.sh [WORKDIR] (MVBUILD=path overrides ./mvbuild)
set -eu
REPO=$(cd "$(dirname "$0")/.." && pwd)
W=${1:-$(mktemp -d /tmp/mvbuild-bench-image.XXXXXX)}
RUNS=${RUNS:-3}
MVBUILD=${MVBUILD:-$REPO/mvbuild}
FLAT_SIZES=${FLAT_SIZES:-"2000 8000 20000"}
mkdir -p "$W"
[ -x /usr/bin/time ] || { echo "bench/image.sh: needs /usr/bin/time (apt-get install time)" >&2; exit 1; }

# the driver: the image writer's C API, linked with the same objects as mvbuild
make -s -C "$REPO" mvbuild >/dev/null
objs=$(find "$REPO"/build/obj -name '*.o' ! -name main.o | sort)
# the libraries as the Makefile links mvbuild (its LIBS), never a second list
libs=$(make -s -C "$REPO" -f Makefile -f - print-libs <<<'print-libs: ; @echo $(LIBS)')
cc -std=c17 -D_GNU_SOURCE -O2 -I"$REPO/src" -o "$W/image-write" "$REPO/tests/image/image-write.c" \
	$objs $libs
WRITER=$W/image-write

# measure NAME CMD...: best wall time of RUNS runs and its peak RSS, into $best/$mem
measure() {
	local runs=$1; shift
	best=""; mem=""; cpu=""
	for _ in $(seq "$runs"); do
		rm -rf "$W/out.img" "$W/cache"
		/usr/bin/time -f "%e %M %U %S" -o "$W/time.out" "$@" >/dev/null 2>"$W/err.out" ||
			{ echo "bench: '$*' failed: $(cat "$W/err.out")" >&2; exit 1; }
		read -r t m u s <"$W/time.out"
		if [ -z "$best" ] || awk "BEGIN{exit !($t < $best)}"; then
			best=$t; mem=$m; cpu=$(awk "BEGIN{printf \"%.2f\", $u + $s}")
		fi
	done
}
# wall time (peak RSS, user + system CPU time of that run): on a loaded machine
# the CPU time shows the work when the wall time mostly shows the wait
fmt() { printf '%s s (%s MiB, cpu %s s)' "$best" "$((mem / 1024))" "$cpu"; }

# inputs: NAME -> $W/NAME.tar, $W/NAME.tar.gz, $W/NAME.tree (extracted)
prepare_busybox() {
	"$REPO/tests/make-busybox-rootfs.sh" "$W/busybox.tar.gz" >/dev/null
	gzip -dc "$W/busybox.tar.gz" >"$W/busybox.tar"
}
prepare_minbase() {
	local tree=${BENCH_MINBASE:-}
	if [ -z "$tree" ] && [ "${BENCH_DEBOOTSTRAP:-0}" = 1 ]; then
		tree=$W/minbase-root
		[ -d "$tree/usr" ] || debootstrap --variant=minbase bookworm "$tree" \
			http://deb.debian.org/debian >"$W/debootstrap.log" 2>&1
	fi
	[ -n "$tree" ] || return 1
	tar --numeric-owner --xattrs --sort=name -C "$tree" -cf "$W/minbase.tar" .
	gzip -c "$W/minbase.tar" >"$W/minbase.tar.gz"
}
prepare_flat() {
	local n=$1 d=$W/flat$1.src
	rm -rf "$d"; mkdir -p "$d/flat"
	python3 -c 'import sys
for i in range(int(sys.argv[2])):
    open("%s/flat/file-%06d" % (sys.argv[1], i), "w").write("%d\n" % i)' "$d" "$n"
	tar --numeric-owner -C "$d" -cf "$W/flat$n.tar" flat
	rm -rf "$d"
}
extract() { rm -rf "$W/$1.tree"; mkdir -p "$W/$1.tree"; tar --numeric-owner --xattrs -xf "$W/$1.tar" -C "$W/$1.tree"; }

# mvbuild_build NAME EXT SIZE: best of RUNS `mvbuild build` of the image
# from $W/NAME.EXT, each into an empty cache ($W/cache, removed by measure)
mvbuild_build() {
	local d=$W/recipe-$1-$2
	mkdir -p "$d"
	ln -f "$W/$1.$2" "$d/root.$2" 2>/dev/null || cp "$W/$1.$2" "$d/root.$2"
	cat >"$d/mvbuild.yaml" <<Y
mvbuild: 1
name: bench-image
sources:
  root: { path: root.$2 }
images:
  rootfs:
    size: $3
    epoch: 1700000000
    devices: true
    layers: [root]
Y
	measure "$RUNS" "$MVBUILD" -f "$d/mvbuild.yaml" --cache "$W/cache" build image:rootfs
}
ratio() { awk "BEGIN{printf \"%.2f×\", $1 / $2}"; }

echo "| input | entries | .tar | mvbuild build from .tar | mke2fs -d on the tree | ratio (goal ≤ 1.0) | mvbuild build from .tar.gz | gzip -dc | ratio (goal ≤ 1.1) | C API from .tar |"
echo "|---|---|---|---|---|---|---|---|---|---|"
row() {
	local name=$1 size=$2
	local entries; entries=$(tar -tf "$W/$name.tar" | wc -l)
	local mb
	mb=$(awk "BEGIN{printf \"%.1f\", $(stat -c %s "$W/$name.tar") / 1048576}")
	mvbuild_build "$name" tar "$size"; local a=$best a_s; a_s=$(fmt)
	# the last run's cache stays until the next measure: check its image
	local img; img=$("$MVBUILD" -f "$W/recipe-$name-tar/mvbuild.yaml" --cache "$W/cache" path image:rootfs | awk '{print $NF; exit}')
	e2fsck -fn "$img" >/dev/null 2>&1 || { echo "bench: e2fsck failed on the image of $name" >&2; exit 1; }
	measure "$RUNS" "$WRITER" "$W/out.img" "$size" "$W/$name.tar" --devices; local w; w=$(fmt)
	e2fsck -fn "$W/out.img" >/dev/null 2>&1 || { echo "bench: e2fsck failed on $name" >&2; exit 1; }
	mvbuild_build "$name" tar.gz "$size"; local b=$best b_s; b_s=$(fmt)
	extract "$name"
	measure "$RUNS" mke2fs -q -F -t ext4 -d "$W/$name.tree" "$W/out.img" "$size"; local d=$best d_s; d_s=$(fmt)
	measure "$RUNS" bash -c "gzip -dc '$W/$name.tar.gz' >/dev/null"; local e=$best e_s; e_s=$(fmt)
	echo "| $name | $entries | $mb MiB | $a_s | $d_s | $(ratio "$a" "$d") | $b_s | $e_s | $(ratio "$b" "$e") | $w |"
	rm -rf "$W/$name.tree" "$W/x" "$W/cache"
}
prepare_busybox
row busybox 256M
if prepare_minbase; then row minbase 1G; else echo "| minbase | skipped: set BENCH_MINBASE=DIR or BENCH_DEBOOTSTRAP=1 | | | | | | | | |"; fi

echo
echo "| flat directory | C API from .tar | mke2fs -d alone | speed-up |"
echo "|---|---|---|---|"
for n in $FLAT_SIZES; do
	prepare_flat "$n"
	measure "$RUNS" "$WRITER" "$W/out.img" 512M "$W/flat$n.tar"; a=$best; am=$mem
	e2fsck -fn "$W/out.img" >/dev/null 2>&1 || { echo "bench: e2fsck failed on flat$n" >&2; exit 1; }
	extract "flat$n"
	measure 1 mke2fs -q -F -t ext4 -d "$W/flat$n.tree" "$W/out.img" 512M
	echo "| $n files | $a s ($((am / 1024)) MiB) | $best s ($((mem / 1024)) MiB) | $(awk "BEGIN{printf \"%.0f×\", $best / ($a > 0 ? $a : 0.01)}") |"
	rm -rf "$W/flat$n.tree"
done
[ -n "${1:-}" ] || rm -rf "$W"
