#!/usr/bin/env bash
# Start npm's s3rver (an S3 server in Node.js) on 127.0.0.1 for the S3
# remote tests, installed by `make test-deps` into build/npm.  Data under
# DIR/data, BUCKET created at start; s3rver's default credentials are
# S3RVER / S3RVER (it checks the access key id; it does not verify SigV4
# signatures).
#
# Usage: tests/remote/s3rver.sh start DIR BUCKET   prints the port
#        tests/remote/s3rver.sh stop DIR
set -eu
cmd=$1 dir=$2
repo=$(cd "$(dirname "$0")/../.." && pwd)
s3rver=$repo/build/npm/node_modules/.bin/s3rver
case $cmd in
stop)
	[ -f "$dir/s3rver.pid" ] && kill "$(cat "$dir/s3rver.pid")" 2>/dev/null || true
	exit 0 ;;
start) bucket=$3 ;;
*) echo "usage: $0 start DIR BUCKET | stop DIR" >&2; exit 2 ;;
esac
if [ ! -x "$s3rver" ]; then
	command -v npm >/dev/null || { echo "npm is not installed" >&2; exit 3; }
	make -s -C "$repo" test-deps >&2 || { echo "cannot install s3rver" >&2; exit 1; }
fi
mkdir -p "$dir/data"
for attempt in 1 2 3; do
	port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	"$s3rver" -d "$dir/data" -a 127.0.0.1 -p "$port" --configure-bucket "$bucket" \
		>"$dir/s3rver.log" 2>&1 &
	echo $! >"$dir/s3rver.pid"
	for _ in $(seq 100); do
		grep -q "listening on" "$dir/s3rver.log" 2>/dev/null && { echo "$port"; exit 0; }
		kill -0 "$(cat "$dir/s3rver.pid")" 2>/dev/null || break
		sleep 0.1
	done
	kill "$(cat "$dir/s3rver.pid")" 2>/dev/null || true
done
echo "cannot start s3rver (see $dir/s3rver.log)" >&2
exit 1
