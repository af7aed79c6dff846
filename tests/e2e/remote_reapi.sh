#!/usr/bin/env bash
# The remote's action entries are REAPI ActionResults (docs/remote.md):
# against Debian's nginx WebDAV on 127.0.0.1, a CI build uploads; every
# stored ac/ value is fetched with curl and decoded by protoc against the
# REAPI's own remote_execution.proto (bazel-bootstrap-source); each output
# file's path is an output name of the local entry and its digest is the
# sha256 and size of the cas/ object it names; the signed record is one
# more output file.  A second cache fetches and uses the entries; an entry
# in the old text format, and an ActionResult that does not list what its
# signed record holds, are misses that build locally; without inlined
# contents the record comes from cas/
. "$(dirname "$0")/../lib.sh"

PROTO_ROOT=/usr/src/bazel-bootstrap/third_party
PROTO=build/bazel/remote/execution/v2/remote_execution.proto
if ! command -v protoc >/dev/null || [ ! -f "$PROTO_ROOT/remoteapis/$PROTO" ]; then
	skip "REAPI ActionResults" "protoc or bazel-bootstrap-source is not installed"
	done_testing; exit
fi
# the well-known types (google/protobuf/*.proto) come with libprotobuf-dev
# when installed, else from the stand-ins in tests/fixtures/reapi-wkt
WKT=/usr/include
[ -f "$WKT/google/protobuf/duration.proto" ] || WKT=$TESTS_DIR/fixtures/reapi-wkt
decode() {
	protoc --decode=build.bazel.remote.execution.v2.ActionResult -I"$PROTO_ROOT/remoteapis" \
		-I"$PROTO_ROOT/googleapis" -I"$WKT" "$PROTO" <"$1"
}
# "path hash size exec contents?" per output file of protoc's text output
files_of() {
	python3 - "$1" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
for block in re.split(r'^output_files \{$', text, flags=re.M)[1:]:
    path = re.search(r'^  path: "([^"]*)"', block, re.M).group(1)
    h = re.search(r'^    hash: "([^"]*)"', block, re.M).group(1)
    size = re.search(r'^    size_bytes: (\d+)', block, re.M)
    exe = bool(re.search(r'^  is_executable: true', block, re.M))
    inl = bool(re.search(r'^  contents: ', block, re.M))
    print(path, h, size.group(1) if size else 0, int(exe), int(inl))
PY
}

mkdir -p "$T/r"
small_image_recipe "$T/r"
echo "reapi" >"$T/r/overlay/etc/hostname"
cd "$T/r"
if ! port=$("$TESTS_DIR/remote/nginx.sh" start "$T/srv" "tok-$$"); then
	skip "REAPI ActionResults" "cannot start nginx"
	done_testing; exit
fi
on_exit "'$TESTS_DIR/remote/nginx.sh' stop '$T/srv'"
URL=http://127.0.0.1:$port/cache
printf 'tok-%s\n' "$$" >"$T/token"
"$MVBUILD" key generate --output "$T/ci" >/dev/null 2>&1
cat >"$T/ci.yaml" <<Y
remote: { url: $URL, upload: true, upload_sources: true, token_file: $T/token,
          signing_key: $T/ci.key, trusted_keys: [$T/ci.pub] }
Y
cat >"$T/reader.yaml" <<Y
remote: { url: $URL, trusted_keys: [$T/ci.pub] }
Y
events() { grep -o '"event":"[a-z]*","node":"[^"]*"' <<<"$errout" | sed 's/"event":"\([a-z]*\)","node":"\([^"]*\)"/\1 \2/' | sort | tr '\n' ' '; }

mvb --config "$T/ci.yaml" --cache "$T/c" --json build image:small
must_succeed "CI builds and uploads image:small and its source"
check_contains "CI uploads both entries" "$(events)" "uploaded image:small uploaded source:rootfs"

keys=$(ls "$T/srv/root/cache/ac")
check_eq "the remote holds 2 action entries" "$(wc -w <<<"$keys")" 2
for key in $keys; do
	k=${key:0:12}
	curl -sf "$URL/ac/$key" -o "$T/ar.$key"
	check "ac/$k: curl fetches the stored value" test -s "$T/ar.$key"
	if ! decode "$T/ar.$key" >"$T/ar.$key.txt" 2>"$T/protoc.err"; then
		nok "ac/$k: protoc decodes it as build.bazel.remote.execution.v2.ActionResult"
		diag "$(cat "$T/protoc.err")"
		continue
	fi
	ok "ac/$k: protoc decodes it as build.bazel.remote.execution.v2.ActionResult"
	check_eq "ac/$k: only output_files are set" \
		"$(grep -v '^ ' "$T/ar.$key.txt" | sort -u | tr '\n' ' ')" "output_files { } "
	files_of "$T/ar.$key.txt" >"$T/files.$key"
	entry=$T/c/ac/${key:0:2}/$key
	want=$( (sed -n 's/^output \([^ ]*\) .*/\1/p' "$entry"; echo .mvbuild-signed-record) | sort | tr '\n' ' ')
	check_eq "ac/$k: the paths are the local entry's outputs and .mvbuild-signed-record" \
		"$(cut -d' ' -f1 "$T/files.$key" | sort | tr '\n' ' ')" "$want"
	while read -r path hash size exe inl; do
		curl -sf "$URL/cas/$hash" -o "$T/blob" || : >"$T/blob"
		check_eq "ac/$k: $path: digest.hash is the sha256sum of cas/${hash:0:12}" \
			"$(sha256sum <"$T/blob" | cut -d' ' -f1)" "$hash"
		check_eq "ac/$k: $path: digest.size_bytes is its size" "$(stat -c %s "$T/blob")" "$size"
		check_eq "ac/$k: $path: is_executable is not set (cache blobs are 0444)" "$exe" 0
		if [ "$path" = .mvbuild-signed-record ]; then
			check_eq "ac/$k: the record is inlined as contents" "$inl" 1
			check "ac/$k: the record is a signed envelope of the action entry" \
				bash -c "head -1 '$T/blob' | grep -qx 'mvbuild-signed 1' && grep -q '^mvbuild-action ' '$T/blob'"
			cp "$T/blob" "$T/record.$key"
		else
			check_eq "ac/$k: $path: no contents inlined" "$inl" 0
			check "ac/$k: $path: the cas/ object is the zstd transit encoding" \
				bash -c "zstd -dc <'$T/blob' | head -1 | grep -qx 'mvbuild-blob 1'"
		fi
	done <"$T/files.$key"
done

# a second cache pulls the entries and uses them
mvb --config "$T/reader.yaml" --cache "$T/c2" --json build image:small
check_eq "reader build succeeds" "$rc" 0
check_eq "reader fetches the image, runs no builder" "$(events)" "cached image:small fetched image:small "
mvb --cache "$T/c2" cache verify
check_eq "reader cache verifies" "$rc" 0

# image:small's entry on the server: its key is the one whose paths name rootfs.ext4
img_key=$(grep -l '^rootfs.ext4 ' "$T"/files.* | sed 's/.*files\.//')
ac=$T/srv/root/cache/ac/$img_key
cp "$ac" "$T/ar.good"

# an entry of the old format (the signed envelope itself at ac/) is a miss
cp "$T/record.$img_key" "$ac"
mvb --config "$T/reader.yaml" --cache "$T/c3" --json build image:small
check_eq "old-format entry: the build succeeds" "$rc" 0
check_contains "old-format entry: the image is built locally" "$(events)" "built image:small"
check_contains "old-format entry: a miss with a warning" "$errout" "not an ActionResult"

# an ActionResult whose output digest is not what its signed record holds
other=$(awk '$1 != "rootfs.ext4" {print $2; exit}' "$T/files.$img_key")
mine=$(awk '$1 == "rootfs.ext4" {print $2}' "$T/files.$img_key")
python3 -c 'import sys; d=open(sys.argv[1],"rb").read(); open(sys.argv[2],"wb").write(d.replace(sys.argv[3].encode(), sys.argv[4].encode(), 1))' \
	"$T/ar.good" "$ac" "$mine" "$other"
if decode "$ac" >/dev/null 2>&1; then ok "the altered ActionResult still decodes"; else nok "the altered ActionResult still decodes"; fi
mvb --config "$T/reader.yaml" --cache "$T/c4" --json build image:small
check_eq "altered ActionResult: the build succeeds" "$rc" 0
check_contains "altered ActionResult: the image is built locally" "$(events)" "built image:small"
check_contains "altered ActionResult: a miss with a warning" "$errout" \
	"does not list exactly the outputs its signed record holds"
cp "$T/ar.good" "$ac"

# a server that keeps no inlined contents (they are optional in REAPI): the
# record is read from cas/ instead
python3 - "$T/ar.good" "$ac" <<'PY'
import sys
def varint(b, i):
    v = s = 0
    while True:
        v |= (b[i] & 0x7f) << s; s += 7; i += 1
        if not b[i - 1] & 0x80: return v, i
def enc(v):
    out = bytearray()
    while True:
        out.append((v & 0x7f) | (0x80 if v > 0x7f else 0)); v >>= 7
        if not v: return bytes(out)
def fields(b):
    i = 0
    while i < len(b):
        tag, i = varint(b, i)
        if tag & 7 == 2:
            n, i = varint(b, i); yield tag, b[i:i + n]; i += n
        else:
            v, i = varint(b, i); yield tag, v
def put(tag, v):
    return enc(tag) + (enc(len(v)) + v if tag & 7 == 2 else enc(v))
d = open(sys.argv[1], "rb").read()
out = b"".join(put(t, b"".join(put(ft, fv) for ft, fv in fields(v) if ft >> 3 != 5))
               for t, v in fields(d))
open(sys.argv[2], "wb").write(out)
PY
check "without inlined contents: no record bytes are left in ac/" bash -c "! grep -q 'mvbuild-signed 1' '$ac'"
gets=$(grep -c '"GET /cache/cas/' "$T/srv/access.log")
mvb --config "$T/reader.yaml" --cache "$T/c5" --json build image:small
check_eq "without inlined contents: the reader fetches the image" "$(events)" \
	"cached image:small fetched image:small "
check_eq "without inlined contents: the record and 2 outputs come from cas/" \
	"$(( $(grep -c '"GET /cache/cas/' "$T/srv/access.log") - gets ))" 3
cp "$T/ar.good" "$ac"
done_testing
