#!/usr/bin/env bash
# Remote cache: the demo's outputs fetched into a clean cache from a local
# nginx (WebDAV, tests/remote/nginx.sh), against building them locally, in
# the same run.  Steps: build locally into an empty cache (timed); upload
# that cache's entries as CI would (timed); fetch everything into another
# empty cache (timed, and checked to run no builder); compare bytes on disk,
# in the cache and on the wire.
# Usage: bench/remote.sh [TARGET...]   (default: every target of recipes/demo.yaml;
#        e.g. bench/remote.sh image:rootfs to leave the kernel out)
set -eu
cd "$(dirname "$0")/.."
mv=$PWD/mvbuild
recipe=${RECIPE:-recipes/demo.yaml}
[ -x "$mv" ] || make -s mvbuild
make -s recipes/rootfs/busybox-rootfs.tar.gz
T=$(mktemp -d "${TMPDIR:-/tmp}/mvbuild-bench-remote.XXXXXX")
trap 'tests/remote/nginx.sh stop "$T/srv"; rm -rf "$T"' EXIT
token=bench-$$
port=$(tests/remote/nginx.sh start "$T/srv" "$token")
echo "$token" >"$T/token"
"$mv" key generate --output "$T/ci" >/dev/null 2>&1
url=http://127.0.0.1:$port/cache
cat >"$T/ci.yaml" <<Y
remote: { url: $url, upload: true, token_file: $T/token, signing_key: $T/ci.key }
Y
cat >"$T/reader.yaml" <<Y
remote: { url: $url, trusted_keys: [$T/ci.pub] }
Y
secs() { echo "($(date +%s%N) - $1) / 1000000000" | bc -l; }

echo "building locally (a kernel takes minutes)..." >&2
s=$(date +%s%N)
nice "$mv" -f "$recipe" --cache "$T/local" build "$@" >/dev/null
local_s=$(secs "$s")
s=$(date +%s%N)
"$mv" -f "$recipe" --config "$T/ci.yaml" --cache "$T/local" --json build "$@" >/dev/null 2>"$T/upload.json"
upload_s=$(secs "$s")
s=$(date +%s%N)
"$mv" -f "$recipe" --config "$T/reader.yaml" --cache "$T/fetch" --json build "$@" >/dev/null 2>"$T/fetch.json"
fetch_s=$(secs "$s")

uploaded=$(grep -c '"event":"uploaded"' "$T/upload.json" || true)
fetched=$(grep -c '"event":"fetched"' "$T/fetch.json" || true)
built=$(grep -c '"event":"built"' "$T/fetch.json" || true)
apparent=$(du -sb --apparent-size "$T/fetch/cas" | cut -f1)
allocated=$(du -sB1 "$T/fetch/cas" | cut -f1)
wire=$(du -sb --apparent-size "$T/srv/root/cache/cas" | cut -f1)
mib() { echo "scale=1; $1 / 1048576" | bc; }
printf 'build locally:            %7.2f s\n' "$local_s"
printf 'upload (CI, %d entries):  %7.2f s\n' "$uploaded" "$upload_s"
printf 'fetch into a clean cache: %7.2f s  (%d fetched, %d built)\n' "$fetch_s" "$fetched" "$built"
printf 'speedup of fetching over building: %.1fx\n' "$(echo "$local_s / $fetch_s" | bc -l)"
echo "outputs: $(mib "$apparent") MiB apparent, $(mib "$allocated") MiB allocated; on the wire: $(mib "$wire") MiB"
[ "$built" -eq 0 ] || { echo "the fetch ran a builder" >&2; exit 1; }
