#!/usr/bin/env bash
# The remote cache through the real mvbuild, against Debian's nginx with
# WebDAV PUT started here on 127.0.0.1 (PUT only with the bearer token):
# a CI build uploads; the local cache is wiped; a reader gets every output
# from nginx and runs no builder; a blob altered on the server and a record
# signed by an untrusted key are misses; a dead and a stalled remote leave
# the build successful within the timeout; the token is never printed.
. "$(dirname "$0")/../lib.sh"

TOKEN=e2e-token-$$-never-printed
rootfs=$(busybox_rootfs)
mkdir -p "$T/r"
cp "$rootfs" "$T/r/rootfs.tar.gz"
cat >"$T/r/mvbuild.yaml" <<'Y'
mvbuild: 1
name: remote-test
sources:
  rootfs: { path: rootfs.tar.gz }
images:
  small:
    size: 64M
    epoch: 1700000000
    layers: [rootfs]
    overlays:
      - { content: "remote\n", to: /etc/hostname, mode: "0644" }
Y
cd "$T/r"
mvb check
must_succeed "the remote recipe passes check"
if ! port=$("$TESTS_DIR/remote/nginx.sh" start "$T/srv" "$TOKEN"); then
	skip "remote cache through mvbuild" "cannot start nginx"
	done_testing; exit
fi
on_exit "'$TESTS_DIR/remote/nginx.sh' stop '$T/srv'"
URL=http://127.0.0.1:$port/cache
LOG=$T/srv/access.log
printf '%s\n' "$TOKEN" >"$T/token"
"$MVBUILD" key generate --output "$T/ci" >/dev/null 2>&1
"$MVBUILD" key generate --output "$T/other" >/dev/null 2>&1
cat >"$T/ci.yaml" <<Y
remote:
  url: $URL
  upload: true
  upload_sources: true
  token_file: $T/token
  signing_key: $T/ci.key
  trusted_keys: [$T/ci.pub]
Y
cat >"$T/reader.yaml" <<Y
remote: { url: $URL, trusted_keys: [ci.pub] }
Y
cat >"$T/stranger.yaml" <<Y
remote: { url: $URL, trusted_keys: [other.pub] }
Y
events() { grep -o '"event":"[a-z]*","node":"[^"]*"' <<<"$errout" | sed 's/"event":"\([a-z]*\)","node":"\([^"]*\)"/\1 \2/' | sort | tr '\n' ' '; }
count() { grep -c -- "$1" "$LOG"; }
allerr=$T/all-stderr
keep() { printf '%s\n' "$errout" >>"$allerr"; }

# CI: builds and uploads
mvb --config "$T/ci.yaml" --cache "$T/c" --json build image:small; keep
check_eq "CI build succeeds" "$rc" 0
check_contains "CI builds the image" "$(events)" "built image:small"
check_contains "CI uploads source and image" "$(events)" "uploaded image:small uploaded source:rootfs"
check_eq "nginx: 2 records PUT, 201" "$(grep '"PUT /cache/ac/' "$LOG" | grep -c '" 201 ')" 2
check_eq "nginx: 3 blobs PUT (source, image, manifest) and 2 signed records, 201" "$(grep '"PUT /cache/cas/' "$LOG" | grep -c '" 201 ')" 5
first_ac=$(grep -n '"PUT /cache/ac/' "$LOG" | head -1 | cut -d: -f1)
first_cas=$(grep -n '"PUT /cache/cas/' "$LOG" | head -1 | cut -d: -f1)
check "content is sent before the record that points at it" test "$first_cas" -lt "$first_ac"
image_bytes=$(stat -c %s "$(sed -n 's/.*"output":"rootfs.ext4","path":"\([^"]*\)".*/\1/p' <<<"$out")")
largest=$(cd "$T/srv/root/cache/cas" && grep -L '^mvbuild-signed 1' $(ls -S) | head -1) # an output, not a record
wire=$(stat -c %s "$T/srv/root/cache/cas/$largest")
check "the 64 MiB image travels compressed and without holes ($wire bytes)" test "$wire" -lt $((image_bytes / 8))

# the local cache is wiped; a reader gets everything from nginx
rm -rf "$T/c"
gets_before=$(count '"GET /cache/cas/')
mvb --config "$T/reader.yaml" --cache "$T/c" --json build image:small; keep
check_eq "reader build succeeds" "$rc" 0
check_eq "reader runs no builder and downloads no source: the image is fetched" "$(events)" \
	"cached image:small fetched image:small "
check_eq "nginx: the reader GETs 2 blobs (image and manifest)" "$(( $(count '"GET /cache/cas/') - gets_before ))" 2
img=$(sed -n 's/.*"output":"rootfs.ext4","path":"\([^"]*\)".*/\1/p' <<<"$out")
check "the fetched image passes e2fsck -fn" e2fsck -fn "$img"
check "the fetched image is sparse" test "$(du -k "$img" | cut -f1)" -lt $((image_bytes / 1024 / 2))
mvb --cache "$T/c" cache verify; keep
check_eq "cache verify is clean after fetching" "$rc" 0

# a blob altered on the server: detected, not installed, built locally
rm -rf "$T/c"
blob=$T/srv/root/cache/cas/$largest
cp "$blob" "$T/blob.orig"
printf 'X' | dd of="$blob" bs=1 seek=$(( wire / 2 )) conv=notrunc 2>/dev/null
mvb --config "$T/reader.yaml" --cache "$T/c" --json build image:small; keep
check_eq "altered blob: the build succeeds" "$rc" 0
check_contains "altered blob: the image is built locally" "$(events)" "built image:small"
check_contains "altered blob: mvbuild says it did not verify" "$errout" "does not match its digest; not installed"
mvb --cache "$T/c" cache verify; keep
check_eq "altered blob: nothing corrupt entered the cache" "$rc" 0
cp "$T/blob.orig" "$blob"

# a record signed by a key the reader does not trust
rm -rf "$T/c"
mvb --config "$T/stranger.yaml" --cache "$T/c" --json build image:small; keep
check_eq "untrusted signer: the build succeeds" "$rc" 0
check_contains "untrusted signer: built locally" "$(events)" "built image:small"
check_contains "untrusted signer: warned" "$errout" "which is not trusted"

# a dead remote (closed port) and a stalled one (never answers)
dead=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
rm -rf "$T/c"
start=$(date +%s.%N)
MVBUILD_REMOTE_TIMEOUT=2 mvb --remote "http://127.0.0.1:$dead" --cache "$T/c" build image:small; keep
secs=$(echo "$(date +%s.%N) - $start" | bc)
check_eq "dead remote: the build succeeds" "$rc" 0
check "dead remote: within the timeout ($secs s)" test "$(echo "$secs < 30" | bc)" = 1
check_eq "dead remote: one warning" "$(grep -c 'building without it' <<<"$errout")" 1
python3 "$TESTS_DIR/remote/stall.py" >"$T/stall.port" &
stall_pid=$!
on_exit "kill $stall_pid 2>/dev/null"
for _ in $(seq 50); do [ -s "$T/stall.port" ] && break; sleep 0.1; done
rm -rf "$T/c"
start=$(date +%s.%N)
MVBUILD_REMOTE_TIMEOUT=2 mvb --remote "http://127.0.0.1:$(cat "$T/stall.port")" --cache "$T/c" build image:small; keep
secs=$(echo "$(date +%s.%N) - $start" | bc)
check_eq "stalled remote: the build succeeds" "$rc" 0
check "stalled remote: within the timeout ($secs s)" test "$(echo "$secs < 30" | bc)" = 1
check_contains "stalled remote: warned" "$errout" "building without it"

# uploading without the token: refused by nginx, the build goes on
sed 's/^  token_file:.*//' "$T/ci.yaml" >"$T/notoken.yaml"
sed -i 's/content: "remote\\n"/content: "changed\\n"/' "$T/r/mvbuild.yaml" # a new image key
mvb --config "$T/notoken.yaml" --cache "$T/c" build image:small; keep
check_eq "upload without token: the build succeeds" "$rc" 0
check "upload without token: nginx answered 401" grep -q '" 401 ' "$LOG"

check "the token is never printed" bash -c "! grep -q -- '$TOKEN' '$allerr'"
done_testing
