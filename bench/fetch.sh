#!/usr/bin/env bash
# bench/fetch.sh: throughput of `mvbuild fetch` against `curl -o` of the same
# file from the same nginx on 127.0.0.1, in one run.  mvbuild hashes while
# it streams and publishes into a fresh cache each time; curl only writes.
#
#   bench/fetch.sh            (MVBUILD=path/to/mvbuild, SIZE_MB=500, RUNS=5)
#
# MODE=url measures `mvbuild fetch --print-checksums URL` instead: no recipe
# and no cache, but sha256 and sha512 both computed while streaming.
# MODE=engine runs bench/fetch_engine.c (the same engine and source builder
# as `mvbuild fetch big`, minus the YAML loader), linked against the objects
# of `make`; it is chosen automatically while mvbuild cannot load recipes.
#
# Prints the throughputs in MB/s (best of RUNS) and their ratio.  mvbuild's
# cache is durable (the blob is fsynced before it is published), so the
# figure for `curl -o` followed by `sync FILE` is printed too.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
MVBUILD=${MVBUILD:-$here/../mvbuild}
SIZE_MB=${SIZE_MB:-500}
RUNS=${RUNS:-5}
MODE=${MODE:-recipe}
unset http_proxy https_proxy all_proxy HTTP_PROXY HTTPS_PROXY ALL_PROXY
command -v nginx >/dev/null || PATH=$PATH:/usr/sbin
command -v nginx >/dev/null || { echo "bench/fetch.sh: nginx is not installed" >&2; exit 2; }

T=$(mktemp -d "${TMPDIR:-/tmp}/mvbuild-bench-fetch.XXXXXX")
nginx_pid=
cleanup() {
	[ -n "$nginx_pid" ] && kill "$nginx_pid" 2>/dev/null && wait "$nginx_pid" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
chmod 755 "$T"   # nginx workers may run as another user
mkdir -p "$T/www" "$T/work"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat >"$T/nginx.conf" <<CONF
worker_processes 1;
daemon off;
pid $T/nginx.pid;
error_log $T/error.log;
events { worker_connections 64; }
http {
	access_log off;
	sendfile on;
	client_body_temp_path $T/body;
	proxy_temp_path $T/proxy;
	fastcgi_temp_path $T/fastcgi;
	uwsgi_temp_path $T/uwsgi;
	scgi_temp_path $T/scgi;
	server {
		listen 127.0.0.1:$port;
		root $T/www;
	}
}
CONF
head -c "${SIZE_MB}M" /dev/urandom >"$T/www/big.bin"
chmod 644 "$T/www/big.bin"
sha=$(sha256sum "$T/www/big.bin" | cut -d' ' -f1)
nginx -p "$T" -c "$T/nginx.conf" &
nginx_pid=$!
url=http://127.0.0.1:$port/big.bin
for _ in $(seq 50); do curl -sf -r 0-0 -o /dev/null "$url" && break; sleep 0.1; done

cat >"$T/work/mvbuild.yaml" <<Y
mvbuild: 1
name: bench-fetch
sources:
  big: { url: "$url", sha256: $sha }
Y

now() { date +%s.%N; }
mbps() { echo "scale=1; $SIZE_MB / ($2 - $1)" | bc; }
best_curl=0 best_sync=0 best_mv=0 ratios=()
if [ "$MODE" = recipe ] && ! (cd "$T/work" && "$MVBUILD" --cache "$T/cache" check >/dev/null 2>&1); then
	echo "mvbuild cannot load recipes yet: MODE=engine (bench/fetch_engine.c)"
	MODE=engine
fi
if [ "$MODE" = engine ]; then
	repo=$(cd "$here/.." && pwd)
	objs=$(find "$repo"/build/obj -name '*.o' ! -name main.o | sort)
	cc -O2 -std=c17 -D_GNU_SOURCE -I"$repo/src" -o "$T/fetch_engine" "$here/fetch_engine.c" \
		$objs $(pkg-config --libs $(sed -n 's/^PKGS *:= *//p' "$repo/Makefile")) -pthread
fi
rm -rf "$T/cache"
for run in $(seq "$RUNS"); do
	t0=$(now)
	curl -sf -o "$T/work/curl.out" "$url"
	tc=$(now)
	rm -f "$T/work/curl.out"
	t0s=$(now)
	curl -sf -o "$T/work/curl.out" "$url"
	sync "$T/work/curl.out"
	t1s=$(now)
	rm -f "$T/work/curl.out"
	t1=$(now)
	if [ "$MODE" = url ]; then
		set -- fetch --print-checksums "$url"
	else
		set -- fetch big
	fi
	if [ "$MODE" = engine ]; then
		"$T/fetch_engine" "$url" "$sha" "$T/cache" 2>"$T/mvbuild.err"
	else
		(cd "$T/work" && "$MVBUILD" --cache "$T/cache" "$@" >/dev/null 2>"$T/mvbuild.err")
	fi || { cat "$T/mvbuild.err" >&2; exit 1; }
	t2=$(now)
	rm -rf "$T/cache"
	c=$(mbps "$t0" "$tc") cs=$(mbps "$t0s" "$t1s") m=$(mbps "$t1" "$t2")
	r=$(echo "scale=2; $m / $c" | bc)
	ratios+=("$r")
	echo "run $run: curl -o $c MB/s, curl -o + sync $cs MB/s, mvbuild fetch $m MB/s (${r}x)"
	[ "$(echo "$c > $best_curl" | bc)" = 1 ] && best_curl=$c
	[ "$(echo "$cs > $best_sync" | bc)" = 1 ] && best_sync=$cs
	[ "$(echo "$m > $best_mv" | bc)" = 1 ] && best_mv=$m
done
echo "curl -o:        $best_curl MB/s"
echo "curl -o + sync: $best_sync MB/s"
if [ "$MODE" = url ]; then
	echo "mvbuild fetch:  $best_mv MB/s (--print-checksums URL: sha256 and sha512 while streaming)"
elif [ "$MODE" = engine ]; then
	echo "mvbuild fetch:  $best_mv MB/s (engine path via bench/fetch_engine.c: sha256 while streaming, durable publish)"
else
	echo "mvbuild fetch:  $best_mv MB/s (sha256 while streaming, then published to the cache)"
fi
echo "ratio:          $(echo "scale=2; $best_mv / $best_curl" | bc) of curl -o, $(echo "scale=2; $best_mv / $best_sync" | bc) of curl -o + sync (best against best)"
# runs back to back see the same load, so the median per-run ratio is the steadier figure
median=$(printf '%s\n' "${ratios[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR + 1) / 2)]}')
echo "median ratio:   $median of curl -o in the same run"
