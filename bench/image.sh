#!/usr/bin/env bash
# bench/image.sh: the image builder against the usual way of making an ext4
# root image, side by side in one run on the same inputs.
#
# Inputs: (a) the busybox rootfs of the tests, (b) a Debian minbase tree
# (debootstrap, only with BENCH_MINBASE=DIR of an existing tree or
# BENCH_DEBOOTSTRAP=1, which reaches deb.debian.org), each packed as .tar and
# .tar.gz, and (c) flat directories of 2,000 / 8,000 / 20,000 files.
# Columns: mvbuild's writer from the archive (through tests/image/image-write,
# the image writer's C API without the engine), `tar -x` then
# `mke2fs -t ext4 -d`, `mke2fs -d` alone on the extracted tree, and `gzip -dc`
# alone.  Time is the best of $RUNS runs (wall clock); memory is the peak RSS
# of that tool (/usr/bin/time -f %M).  Prints a markdown table.
# Usage: bench/image.sh [WORKDIR]
set -eu
REPO=$(cd "$(dirname "$0")/.." && pwd)
W=${1:-$(mktemp -d /tmp/mvbuild-bench-image.XXXXXX)}
RUNS=${RUNS:-3}
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
	best=""; mem=""
	for _ in $(seq "$runs"); do
		rm -f "$W/out.img"
		/usr/bin/time -f "%e %M" -o "$W/time.out" "$@" >/dev/null 2>"$W/err.out" ||
			{ echo "bench: '$*' failed: $(cat "$W/err.out")" >&2; exit 1; }
		read -r t m <"$W/time.out"
		if [ -z "$best" ] || awk "BEGIN{exit !($t < $best)}"; then best=$t; mem=$m; fi
	done
}
fmt() { printf '%s s (%s MiB)' "$best" "$((mem / 1024))"; }

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

echo "| input | entries | .tar | .tar.gz | mvbuild from .tar | mvbuild from .tar.gz | tar -xzf + mke2fs -d | mke2fs -d alone | gzip -dc alone |"
echo "|---|---|---|---|---|---|---|---|---|"
row() {
	local name=$1 size=$2
	local entries; entries=$(tar -tf "$W/$name.tar" | wc -l)
	local mb gzmb
	mb=$(awk "BEGIN{printf \"%.1f\", $(stat -c %s "$W/$name.tar") / 1048576}")
	gzmb=$(awk "BEGIN{printf \"%.1f\", $(stat -c %s "$W/$name.tar.gz") / 1048576}")
	measure "$RUNS" "$WRITER" "$W/out.img" "$size" "$W/$name.tar" --devices; local a; a=$(fmt)
	e2fsck -fn "$W/out.img" >/dev/null 2>&1 || { echo "bench: e2fsck failed on $name" >&2; exit 1; }
	measure "$RUNS" "$WRITER" "$W/out.img" "$size" "$W/$name.tar.gz" --devices; local b; b=$(fmt)
	measure "$RUNS" bash -c "rm -rf '$W/x' && mkdir '$W/x' && tar --numeric-owner --xattrs -xzf '$W/$name.tar.gz' -C '$W/x' && mke2fs -q -F -t ext4 -d '$W/x' '$W/out.img' $size"
	local c; c=$(fmt)
	extract "$name"
	measure "$RUNS" mke2fs -q -F -t ext4 -d "$W/$name.tree" "$W/out.img" "$size"; local d; d=$(fmt)
	measure "$RUNS" bash -c "gzip -dc '$W/$name.tar.gz' >/dev/null"; local e; e=$(fmt)
	echo "| $name | $entries | $mb MiB | $gzmb MiB | $a | $b | $c | $d | $e |"
	rm -rf "$W/$name.tree" "$W/x"
}
prepare_busybox
row busybox 256M
if prepare_minbase; then row minbase 1G; else echo "| minbase | skipped: set BENCH_MINBASE=DIR or BENCH_DEBOOTSTRAP=1 | | | | | | | |"; fi

echo
echo "| flat directory | mvbuild from .tar | mke2fs -d alone | speed-up |"
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
