#!/usr/bin/env bash
# oci: sources pulled from Debian's docker-registry (the CNCF distribution
# registry) on 127.0.0.1, with images made by umoci and pushed by skopeo:
# an image built from the registry holds exactly `umoci raw unpack` of the
# same image; a tag is resolved by fetch --print-checksums; a layer shared
# by two images is downloaded once (the registry's access log); an index
# gives linux/amd64 unless platform: says otherwise; basic auth (htpasswd)
# and the token protocol (the registry's `auth: token` mode, with a token
# service signing RS256 JWTs) with credentials from the machine config;
# wrong credentials, a corrupted blob, a digest the registry lacks and a
# registry answering 401 without a challenge fail clearly and publish
# nothing; owners, modes and hardlink groups match the layer tars
# (tests/oci/tree.py); a fresh cache builds a bit-identical image;
# blobs in a --mirror or imported with `cache import` are not downloaded.
. "$(dirname "$0")/../lib.sh"
unset http_proxy https_proxy all_proxy HTTP_PROXY HTTPS_PROXY ALL_PROXY
export no_proxy=127.0.0.1
export MVBUILD_FETCH_TIMEOUT=5 MVBUILD_FETCH_LOW_SPEED_TIME=2 MVBUILD_FETCH_RETRIES=0

for tool in docker-registry skopeo umoci openssl debugfs; do
	if ! command -v $tool >/dev/null; then
		skip "registry pulls" "$tool is not installed"
		done_testing
		exit
	fi
done
helper=$TESTS_DIR/oci/registry_helper.py

# wait_port FILE: until a helper has written its port into FILE
wait_port() {
	local i
	for i in $(seq 200); do [ -s "$1" ] && break; sleep 0.05; done
	cat "$1"
}
free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
# start_registry NAME AUTH-YAML: a registry over the shared storage in $T/data;
# sets PORT, its access log is $T/NAME.log
start_registry() {
	local i
	PORT=$(free_port)
	cat >"$T/$1.yml" <<Y
version: 0.1
log: { level: warn, accesslog: { disabled: false } }
storage: { filesystem: { rootdirectory: "$T/data" } }
http: { addr: "127.0.0.1:$PORT", secret: test }
$2
Y
	docker-registry serve "$T/$1.yml" >"$T/$1.log" 2>&1 &
	on_exit "kill $! 2>/dev/null; wait $! 2>/dev/null"
	for i in $(seq 200); do curl -s -o /dev/null "http://127.0.0.1:$PORT/v2/" && break; sleep 0.05; done
}
push() { # LAYOUT:TAG REPO:TAG [--all]: push and print the manifest digest
	skopeo copy -q ${3:-} --dest-tls-verify=false --digestfile "$T/digest" "oci:$T/$1" \
		"docker://127.0.0.1:$OPEN/$2" >/dev/null && cat "$T/digest"
}
blob_gets() { grep -c "GET /v2/[^ ]*/blobs/$1" "$T/open.log" || true; }

# --- images: base (two files, a directory, a symlink), app = base + a layer, two arches
L=$T/layout
mkdir -p "$T/base/etc" "$T/base/usr/bin" "$T/app/srv" "$T/amd" "$T/arm"
echo hello >"$T/base/etc/hello"
head -c 70000 /dev/urandom >"$T/base/usr/bin/tool"
chmod 755 "$T/base/usr/bin/tool"
ln -s ../usr/bin/tool "$T/base/etc/tool-link"
echo app >"$T/app/srv/app.conf"
echo amd64 >"$T/amd/arch"
echo arm64 >"$T/arm/arch"
# add_layer FROM TO DIR: image TO is image FROM plus a layer holding DIR's tree
# (unpack + repack: Debian 12's umoci 0.4.7 `insert` writes truncated tar layers)
add_layer() {
	rm -rf "$T/bundle" &&
	umoci unpack --rootless --image "$L:$1" "$T/bundle" &&
	cp -a "$3/." "$T/bundle/rootfs/" &&
	umoci repack --image "$L:$2" "$T/bundle"
}
{
	umoci init --layout "$L" &&
	umoci new --image "$L:empty" &&
	add_layer empty base "$T/base" &&
	add_layer base app "$T/app" &&
	umoci new --image "$L:amd0" &&
	umoci config --image "$L:amd0" --os linux --architecture amd64 &&
	add_layer amd0 amd "$T/amd" &&
	umoci new --image "$L:arm0" &&
	umoci config --image "$L:arm0" --os linux --architecture arm64 &&
	add_layer arm0 arm "$T/arm"
} >"$T/umoci.log" 2>&1 || { nok "umoci makes the test images"; diag "$(cat "$T/umoci.log")"; done_testing; exit 1; }
# an index of the two arches, tagged "multi" in the layout
python3 - "$L" <<'P'
import hashlib, json, os, sys
layout = sys.argv[1]
idx = json.load(open(os.path.join(layout, "index.json")))
by_tag = {m["annotations"]["org.opencontainers.image.ref.name"]: m for m in idx["manifests"]}
entries = []
for tag, arch in (("amd", "amd64"), ("arm", "arm64")):
    d = dict(by_tag[tag]); d.pop("annotations", None)
    d["platform"] = {"os": "linux", "architecture": arch}
    entries.append(d)
body = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
                   "manifests": entries}).encode()
hexd = hashlib.sha256(body).hexdigest()
open(os.path.join(layout, "blobs", "sha256", hexd), "wb").write(body)
idx["manifests"].append({"mediaType": "application/vnd.oci.image.index.v1+json",
                         "digest": "sha256:" + hexd, "size": len(body),
                         "annotations": {"org.opencontainers.image.ref.name": "multi"}})
json.dump(idx, open(os.path.join(layout, "index.json"), "w"))
P

# --- registries over one storage: open (pushed to), htpasswd, token; a corrupting proxy
start_registry open ""
OPEN=$PORT
D_BASE=$(push layout:base team/img:base)
D_APP=$(push layout:app team/app:v1)
D_MULTI=$(push layout:multi team/multi:latest --all)
check "skopeo pushes the images" test -n "$D_BASE" -a -n "$D_APP" -a -n "$D_MULTI"
base_layer=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["layers"][0]["digest"])' \
	"$L/blobs/sha256/${D_BASE#sha256:}")

echo "alice:$(python3 "$helper" bcrypt 's3cret!')" >"$T/htpasswd"
start_registry basic "auth: { htpasswd: { realm: test, path: \"$T/htpasswd\" } }"
BASIC=$PORT
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=token -keyout "$T/key.pem" \
	-out "$T/cert.pem" 2>/dev/null
python3 "$helper" token "$T/token.port" "$T/key.pem" "$T/cert.pem" test-registry test-issuer \
	alice 's3cret!' 2>"$T/tokens.log" &
on_exit "kill $! 2>/dev/null; wait $! 2>/dev/null"
TOKENS=$(wait_port "$T/token.port")
start_registry token "auth: { token: { realm: 'http://127.0.0.1:$TOKENS/token', service: test-registry, issuer: test-issuer, rootcertbundle: \"$T/cert.pem\" } }"
BEARER=$PORT
python3 "$helper" corrupt "$T/proxy.port" "http://127.0.0.1:$OPEN" 2>"$T/proxy.log" &
on_exit "kill $! 2>/dev/null; wait $! 2>/dev/null"
PROXY=$(wait_port "$T/proxy.port")

# recipe SOURCES...: a recipe whose sources are the given lines, and an image of the first
recipe() {
	mkdir -p "$T/r"
	{
		printf 'mvbuild: 1\nsources:\n'
		printf '%s\n' "$@"
		printf 'images:\n  rootfs: { size: 32M, epoch: 1700000000, layers: [s0] }\n'
	} >"$T/r/mvbuild.yaml"
}
cd "$T/r" 2>/dev/null || { mkdir -p "$T/r" && cd "$T/r"; }

# --- an image from the registry holds exactly umoci's unpack of it
recipe "  s0: { oci: 127.0.0.1:$OPEN/team/img@$D_BASE }"
mvb --cache "$T/c1" build image:rootfs
must_succeed "an image builds from 127.0.0.1:$OPEN/team/img@$D_BASE"
img=$("$MVBUILD" --cache "$T/c1" path image:rootfs rootfs.ext4)
fsck_clean() { e2fsck -fn "$1" >/dev/null 2>&1; }
check "e2fsck -fn finds it clean" fsck_clean "$img"
umoci raw unpack --rootless --image "$L:base" "$T/unpacked" >/dev/null 2>&1
mkdir -p "$T/dumped"
debugfs -R "rdump / $T/dumped" "$img" >/dev/null 2>&1
listing() { (cd "$1" && find . -mindepth 1 ! -path ./lost+found ! -path './lost+found/*' \
	-printf '%p %y %m %s %l\n' | sort); }
check_eq "its tree (names, types, modes, sizes, link targets) is umoci's" \
	"$(listing "$T/dumped/")" "$(listing "$T/unpacked")"
check "and so is every file's content" diff -r -x lost+found "$T/dumped" "$T/unpacked"
check_eq "owners, modes and hardlink groups are the layer tars' (debugfs; umoci --rootless loses owners)" \
	"$(python3 "$TESTS_DIR/oci/tree.py" ext4 "$img")" "$(python3 "$TESTS_DIR/oci/tree.py" oracle "$L" base)"
mvb --cache "$T/c1b" build image:rootfs
check "the same digest gives a bit-identical rootfs.ext4 in a fresh cache" \
	cmp "$("$MVBUILD" --cache "$T/c1b" path image:rootfs rootfs.ext4)" "$img"

# --- a digest the registry does not hold: named, nothing published
nodig=sha256:$(printf '%064d' 0)
recipe "  s0: { oci: 127.0.0.1:$OPEN/team/img@$nodig }"
mvb --cache "$T/c-nodig" build image:rootfs
check_eq "a wrong digest in the recipe fails the build" "$rc" 1
check_contains "naming the digest and the repository" "$errout" \
	"cannot get manifest '$nodig' of '127.0.0.1:$OPEN/team/img'"
check_contains "and what the registry answered" "$errout" "HTTP 404"
check_eq "nothing was published for it" "$(find "$T/c-nodig/ac" -type f 2>/dev/null | wc -l)" 0

# --- a registry that answers 401 without a challenge: named, nothing published
python3 "$helper" deny "$T/deny.port" 2>"$T/deny.log" &
on_exit "kill $! 2>/dev/null; wait $! 2>/dev/null"
DENY=$(wait_port "$T/deny.port")
recipe "  s0: { oci: 127.0.0.1:$DENY/team/img@$D_BASE }"
mvb --cache "$T/c-deny" build image:rootfs
check_eq "a 401 without a challenge fails the build" "$rc" 1
check_contains "naming the registry and what it lacked" "$errout" \
	"registry '127.0.0.1:$DENY' answered HTTP 401 without a challenge"
check_eq "nothing was published for it" "$(find "$T/c-deny/ac" -type f 2>/dev/null | wc -l)" 0

# --- tags: a recipe error; fetch --print-checksums prints the digest to pin
recipe "  s0: { oci: 127.0.0.1:$OPEN/team/img:base }"
mvb check
check_eq "a tag without a digest is a recipe error" "$rc" 2
check_contains "which names the command that prints the digest" "$errout" \
	"'mvbuild fetch --print-checksums oci:127.0.0.1:$OPEN/team/img:base' prints it"
mvb fetch --print-checksums "oci:127.0.0.1:$OPEN/team/img:base"
check_eq "fetch --print-checksums resolves the tag to its digest" "$out" \
	"oci:127.0.0.1:$OPEN/team/img:base sha256 ${D_BASE#sha256:}"

# --- a layer shared by two images is downloaded once
recipe "  s0: { oci: 127.0.0.1:$OPEN/team/img@$D_BASE }" \
	"  s1: { oci: 127.0.0.1:$OPEN/team/app@$D_APP }"
before=$(blob_gets "$base_layer")
mvb --cache "$T/c2" fetch s0 s1
must_succeed "two images sharing a base layer are fetched"
check_eq "the shared layer was downloaded once" "$(( $(blob_gets "$base_layer") - before ))" 1

# --- an index: linux/amd64 by default, platform: picks another
arch_of() { debugfs -R "cat /arch" "$1" 2>/dev/null; }
recipe "  s0: { oci: 127.0.0.1:$OPEN/team/multi@$D_MULTI }"
mvb --cache "$T/c3" build image:rootfs
must_succeed "an image builds from a two-platform index"
check_eq "it is the linux/amd64 image" "$(arch_of "$("$MVBUILD" --cache "$T/c3" path image:rootfs rootfs.ext4)")" amd64
recipe "  s0: { oci: 127.0.0.1:$OPEN/team/multi@$D_MULTI, platform: linux/arm64 }"
mvb --cache "$T/c3" build image:rootfs
must_succeed "platform: linux/arm64 builds too"
check_eq "and it is the linux/arm64 image" "$(arch_of "$("$MVBUILD" --cache "$T/c3" path image:rootfs rootfs.ext4)")" arm64
recipe "  s0: { oci: 127.0.0.1:$OPEN/team/multi@$D_MULTI, platform: linux/s390x }"
mvb --cache "$T/c3" fetch s0
check_contains "a platform the index lacks is named with the ones it has" "$errout" \
	"no manifest for the platform linux/s390x (it has: linux/amd64, linux/arm64)"

# --- credentials from the machine config: basic auth and the token protocol
echo 's3cret!' >"$T/password"
cat >"$T/config.yaml" <<Y
registries:
  "127.0.0.1:$BASIC": { username: alice, password_file: "$T/password" }
  "127.0.0.1:$BEARER": { username: alice, password: "s3cret!" }
Y
cat >"$T/wrong.yaml" <<Y
registries:
  "127.0.0.1:$BASIC": { username: alice, password: "wr0ng-pw" }
  "127.0.0.1:$BEARER": { username: alice, password: "wr0ng-pw" }
Y
for mode in basic bearer; do
	port=$BASIC
	[ $mode = bearer ] && port=$BEARER
	recipe "  s0: { oci: 127.0.0.1:$port/team/img@$D_BASE }"
	mvb --cache "$T/c-$mode-0" fetch s0
	check_eq "$mode: without credentials the pull fails" "$rc" 1
	check_contains "$mode: saying where credentials go" "$errout" "registries: '127.0.0.1:$port'"
	mvb --config "$T/wrong.yaml" --cache "$T/c-$mode-1" fetch s0
	check_contains "$mode: wrong credentials are refused (HTTP 401)" "$errout" "HTTP 401"
	check "$mode: and the password is not in the message" test "${errout/wr0ng-pw/}" = "$errout"
	mvb --config "$T/config.yaml" --cache "$T/c-$mode-2" fetch s0
	must_succeed "$mode: the config's credentials pull the image"
done
check "the token service was asked (and signed what the registry accepted)" \
	grep -q "GET /token?service=test-registry&scope=repository%3Ateam%2Fimg%3Apull" "$T/tokens.log"

# --- a corrupted blob: named, and nothing published
recipe "  s0: { oci: 127.0.0.1:$PROXY/team/img@$D_BASE }"
mvb --cache "$T/c4" fetch s0
check_eq "a corrupted blob fails the pull" "$rc" 1
check_contains "naming the blob and its registry" "$errout" "cannot get blob 'sha256:"
check_contains "and the digest it had" "$errout" "its content has digest sha256:"
check_eq "nothing was published" "$(find "$T/c4/ac" -type f 2>/dev/null | wc -l)" 0

# --- blobs from a mirror (MIRROR/<hex>) or `cache import` are never asked of the registry
mkdir -p "$T/mirror"
for f in "$L"/blobs/sha256/*; do cp "$f" "$T/mirror/"; done
mvb --cache "$T/c5" --mirror "$T/mirror" fetch s0
must_succeed "with --mirror, the blobs the proxy would corrupt come from the mirror"
mvb --cache "$T/c6" cache import "$L"/blobs/sha256/*
must_succeed "the layout's blobs are imported"
mvb --cache "$T/c6" fetch s0
must_succeed "and an imported blob serves a pull as any source's content"

done_testing
