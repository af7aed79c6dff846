#!/usr/bin/env bash
# Ctrl-C and SIGTERM during `mvbuild build`: the run stops with 130 / 143,
# says once what it interrupted, removes its scratch directories, publishes
# nothing partial, and the next build succeeds.  The slow nodes are an image
# whose layer inflates to 512 MiB (built from concatenated gzip members, so it
# costs nothing to make) and a source whose server stalls (deterministic).
. "$(dirname "$0")/../lib.sh"
. "$TESTS_DIR/fetch/server.sh"
# the stalled download must wait for the signal, not time out
export MVBUILD_FETCH_LOW_SPEED_TIME=600

W=$T/w C=$T/cache
mkdir -p "$W" "$T/root"
cp "$(busybox_rootfs)" "$T/root/rootfs.tar.gz"
rootfs_sha=$(sha256sum "$T/root/rootfs.tar.gz" | cut -d' ' -f1)
python3 - "$W/big.tar.gz" <<'PY'
import gzip, sys, tarfile
size = 512 << 20
info = tarfile.TarInfo("big")
info.size, info.mtime = size, 1700000000
chunk = gzip.compress(b"x" * (1 << 20), 1)
with open(sys.argv[1], "wb") as f:
    f.write(gzip.compress(info.tobuf(tarfile.GNU_FORMAT)))
    for _ in range(size >> 20):
        f.write(chunk)  # one gzip member per MiB: a gzip reader reads them as one stream
    f.write(gzip.compress(b"\0" * 1024))
PY
start_fault_server "$T/root"

# recipe URL: the layer source's URL
recipe() {
	cat >"$W/mvbuild.yaml" <<Y
mvbuild: 1
name: interrupt
sources:
  big: { path: big.tar.gz }
  net: { url: "$1", sha256: $rootfs_sha }
images:
  rootfs:
    size: 640M
    epoch: 1700000000
    layers: [big]
  small:
    size: 32M
    epoch: 1700000000
    layers: [net]
Y
}
recipe "$FAULT_URL/stall"

# wait_scratch PREFIX: until CACHE/tmp holds PREFIX.* (a node's scratch directory)
wait_scratch() {
	local i
	for i in $(seq 1200); do
		compgen -G "$C/tmp/$1.*" >/dev/null && return 0
		sleep 0.05
	done
	return 1
}

# interrupt SIGNAL PREFIX TARGET...: build in the background, send SIGNAL once
# PREFIX's scratch directory exists; $rc and $errout as mvb sets them
interrupt() {
	local sig=$1 prefix=$2 pid
	shift 2
	set -m # a job of its own: a script's background jobs otherwise ignore SIGINT
	"$MVBUILD" -f "$W/mvbuild.yaml" --cache "$C" "$@" >"$T/.out" 2>"$T/.stderr" &
	pid=$!
	set +m
	if wait_scratch "$prefix"; then ok "$prefix has a scratch directory"; else nok "$prefix has a scratch directory"; fi
	kill "-$sig" "$pid"
	wait "$pid"
	rc=$?
	errout=$(cat "$T/.stderr")
}

cache_clean() {
	check_eq "$1: no scratch left in CACHE/tmp" "$(ls -A "$C/tmp")" ""
	mvb --cache "$C" cache verify
	check_eq "$1: cache verify is clean" "$rc" 0
}

interrupt INT image_rootfs build image:rootfs
check_eq "SIGINT exits 130" "$rc" 130
check_contains "says what it stopped" "$errout" "mvbuild: interrupted: stopped building image:rootfs"
check_eq "one message, no failure lines" "$(grep -c -e interrupted -e '^failed' <<<"$errout")" 1
cache_clean "after SIGINT"
mvb -f "$W/mvbuild.yaml" --cache "$C" explain image:rootfs
check_contains "no partial entry: the image is still to build" "$out$errout" "never built"

interrupt TERM source_net build image:small
check_eq "SIGTERM exits 143" "$rc" 143
check_contains "names the stalled download" "$errout" "mvbuild: interrupted: stopped building source:net"
cache_clean "after SIGTERM"

# both at once: the message counts the others
interrupt INT source_net -j2 build image:small image:rootfs
wait_scratch image_rootfs >/dev/null
check_eq "SIGINT with two nodes running exits 130" "$rc" 130
check_contains "names one node and counts the rest" "$errout" "(and 1 other)"
cache_clean "after two nodes"

# a real Ctrl-C on a terminal: the status line of the stalled download is
# cleared before the message
if command -v script >/dev/null; then
	mkfifo "$T/keys"
	set -m
	script -qec "'$MVBUILD' -f '$W/mvbuild.yaml' --cache '$C' build image:small" \
		"$T/typescript" <"$T/keys" >/dev/null 2>&1 &
	pid=$!
	set +m
	exec 3>"$T/keys"
	wait_scratch source_net
	for i in $(seq 200); do grep -q "source:net: " "$T/typescript" && break; sleep 0.05; done
	printf '\003' >&3
	wait "$pid"
	rc=$?
	exec 3>&-
	check_eq "Ctrl-C on a terminal exits 130" "$rc" 130
	check_contains "the status line is cleared before the message" "$(cat "$T/typescript")" \
		$'\r\033[Kmvbuild: interrupted: stopped building source:net'
	cache_clean "after Ctrl-C"
else
	skip "Ctrl-C on a terminal" "no script(1)"
fi

recipe "$FAULT_URL/files/rootfs.tar.gz"
mvb -f "$W/mvbuild.yaml" --cache "$C" build image:small image:rootfs
must_succeed "the build after the interrupts succeeds"
done_testing
