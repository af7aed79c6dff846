#!/usr/bin/env bash
# Kernel builds through a team's ccache (issue 18 part 1), with real
# `mvbuild build` runs of the demo kernel, printed side by side:
#   1. a cold build without ccache (the reference);
#   2. the writer (CI): a cold build through ccache, filling its remote
#      storage on nginx's WebDAV (tests/remote/nginx.sh, 127.0.0.1);
#   3. a reader: a new mvbuild cache, an empty local ccache, the warm
#      remote (goal: <= 35% of 1);
#   4. a one-option change (CONFIG_PRINTK_TIME=y) on a "new machine": a new
#      cache and an empty local ccache again, so only what the option
#      changes compiles, the rest comes from the team's ccache.
# Each build is checked to give the same bzImage as its reference.
# Costs two cold kernel builds (1 and 2).  Usage: bench/team.sh
set -eu
cd "$(dirname "$0")/.."
repo=$PWD
mv=$PWD/mvbuild
[ -x "$mv" ] || make -s mvbuild
command -v ccache >/dev/null || { echo "ccache is not installed" >&2; exit 1; }
T=$(mktemp -d "${TMPDIR:-/tmp}/mvbuild-bench-ccache.XXXXXX")
# the trap runs after the cd into the recipe: the repo's scripts by absolute path
trap '"$repo"/tests/remote/nginx.sh stop "$T/srv"; chmod -R u+w "$T"; rm -rf "$T"' EXIT
token=bench-$$
port=$(tests/remote/nginx.sh start "$T/srv" "$token")
remote="http://127.0.0.1:$port/ccache|bearer-token=$token"
mkdir -p "$T/r"
cp -a recipes/kernel "$T/r/"
cat >"$T/r/mvbuild.yaml" <<'Y'
mvbuild: 1
name: bench-ccache
sources:
  linux: { path: /usr/src/linux-source-6.1.tar.xz }
kernels:
  microvm:
    source: linux
    base: allnoconfig
    fragments: [kernel/base.config, kernel/net.config, kernel/initramfs.config, kernel/shares.config, kernel/squashfs.config]
Y
cd "$T/r"
secs() { echo "($(date +%s%N) - $1) / 1000000000" | bc -l; }
stat_of() { CCACHE_DIR=$1 ccache --print-stats | awk -v k="$2" '$1 == k {print $2}'; }
# build NAME CACHE [CCACHE_DIR]: times one build of the kernel, keeps its bzImage's sha256
build() {
	local name=$1 cache=$2 s bz
	echo "$name..." >&2
	s=$(date +%s%N)
	if [ $# -gt 2 ]; then
		MVBUILD_CCACHE_DIR=$3 MVBUILD_CCACHE_REMOTE=$remote nice "$mv" --cache "$cache" build kernel:microvm >"$T/out"
	else
		nice "$mv" --cache "$cache" build kernel:microvm >"$T/out"
	fi
	printf -v "${name}_s" '%s' "$(secs "$s")"
	bz=$(awk '$2 == "bzImage" {print $3}' "$T/out")
	printf -v "${name}_sum" '%s' "$(sha256sum <"$bz" | cut -d' ' -f1)"
}

build plain "$T/plain"
build writer "$T/writer" "$T/ccache-writer"
build reader "$T/reader" "$T/ccache-reader"
echo "CONFIG_PRINTK_TIME=y" >>kernel/base.config
build toggled_ref "$T/plain"  # the reference bytes of the changed kernel (incremental)
build toggled "$T/newmachine" "$T/ccache-newmachine"

[ "$writer_sum" = "$plain_sum" ] && [ "$reader_sum" = "$plain_sum" ] || { echo "bzImage differs" >&2; exit 1; }
[ "$toggled_sum" = "$toggled_ref_sum" ] || { echo "the changed kernel's bzImage differs" >&2; exit 1; }
pct() { echo "scale=3; 100 * $1 / $plain_s" | bc -l; }
printf 'load average at the end: %s\n' "$(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-58s %8.1f s\n' "cold build, no ccache" "$plain_s"
printf '%-58s %8.1f s  %5.1f%%  (%s misses stored)\n' "writer (CI): cold build through ccache" "$writer_s" \
	"$(pct "$writer_s")" "$(stat_of "$T/ccache-writer" cache_miss)"
# hits: direct (the manifest's headers matched: no preprocessing) or preprocessed
# (a header the manifest names changed, autoconf.h for a new option: ccache
# preprocesses, then finds the same preprocessed text)
hits() {
	printf '%s remote hits (%s direct, %s preprocessed), %s misses' "$(stat_of "$1" remote_storage_hit)" \
		"$(stat_of "$1" direct_cache_hit)" "$(stat_of "$1" preprocessed_cache_hit)" "$(stat_of "$1" cache_miss)"
}
printf '%-58s %8.1f s  %5.1f%%  (%s)\n' \
	"reader: new cache, empty local ccache, warm remote" "$reader_s" "$(pct "$reader_s")" \
	"$(hits "$T/ccache-reader")"
printf '%-58s %8.1f s  %5.1f%%  (%s)\n' \
	"one option changed on a new machine, from the team's ccache" "$toggled_s" "$(pct "$toggled_s")" \
	"$(hits "$T/ccache-newmachine")"
printf '%-58s %8.1f s\n' "(the same change in place, no ccache: incremental)" "$toggled_ref_s"
