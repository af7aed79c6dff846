#!/usr/bin/env bash
# Container images as layers (issue 17), all local: an OCI image layout made
# with umoci (a base layer; a layer from repack that deletes files, adds a
# hardlink and overwrites a file; a layer with an opaque directory, a
# whiteout of a missing path and a nested whiteout) and the same image as a
# docker-archive (skopeo).  The oracle is `umoci raw unpack --rootless` of
# the same image: the ext4 image holds exactly its tree (debugfs rdump),
# with no .wh. file, and e2fsck -fn is clean; owners (one file and dir are
# 1000:1001), modes and hardlink groups, which umoci --rootless and rdump
# lose, are those of the layer tars with whiteouts applied (tests/oci/tree.py
# against debugfs).  Also: tag and digest refs give the same image, and a
# fresh cache a bit-identical one; a changed byte in a blob, an unknown
# media type or a digest the layout lacks is an error naming it and leaves
# no cache entry; a plain tarball still works;
# a tarball of a layout given as path: is refused, naming the new keys; a
# tar+zstd layer whose whiteout is a hardlink (removes by name, as
# containerd does); a blob symlinked out of the layout is refused;
# explain names the added layer; --print-checksums of a docker-archive;
# an image of another platform (os, arch, variant) is refused, naming both.
. "$(dirname "$0")/../lib.sh"
for tool in umoci skopeo debugfs e2fsck; do
	if ! command -v "$tool" >/dev/null; then
		skip "container image layers" "$tool missing (make deps)"
		done_testing; exit
	fi
done
R=$T/r
mkdir -p "$R" && cd "$R"
umo() { umoci "$@" >/dev/null 2>"$T/umoci.err" || { diag "umoci $*: $(cat "$T/umoci.err")"; exit 1; }; }
# add_layer DIR TAG ENTRY...: a gzip layer on top of the image TAG, where an
# ENTRY is d:PATH (directory), f:PATH:TEXT (file), w:PATH (an empty file,
# for whiteouts), h:PATH:TARGET (a hardlink), or D:PATH / o:PATH:TEXT (a
# directory 0750 / file 0640 owned by 1000:1001); a first ENTRY "zstd" makes
# it a tar+zstd layer; manifest, config diff_ids and index.json updated.
# (umoci 0.4.7's insert leaves a file's data unterminated in the tar.)
add_layer() {
	python3 - "$@" <<'PY'
import gzip, hashlib, io, json, os, sys, tarfile
import subprocess
lay, tag, entries = sys.argv[1], sys.argv[2], sys.argv[3:]
zstd = entries[:1] == ["zstd"]; entries = entries[1:] if zstd else entries
blobs = lay + "/blobs/sha256/"
def put(b):
    h = hashlib.sha256(b).hexdigest(); p = blobs + h
    if not os.path.exists(p): open(p, "wb").write(b)
    return "sha256:" + h
raw = io.BytesIO()
with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as t:
    for e in entries:
        kind, path, text = (e.split(":", 2) + [""])[:3]
        i = tarfile.TarInfo(path); i.mtime = 1700000000
        data = text.encode() if kind in "fo" else b""
        if kind in "dD": i.type, i.mode = tarfile.DIRTYPE, 0o750 if kind == "D" else 0o755
        elif kind == "h": i.type, i.linkname, i.mode = tarfile.LNKTYPE, text, 0o644
        else: i.mode, i.size = {"f": 0o644, "o": 0o640}.get(kind, 0), len(data)
        if kind in "Do": i.uid, i.gid = 1000, 1001
        t.addfile(i, io.BytesIO(data))
tar = raw.getvalue()
gz = subprocess.run(["zstd", "-q", "-c"], input=tar, stdout=subprocess.PIPE, check=True).stdout if zstd else gzip.compress(tar, mtime=0)
idx = json.load(open(lay + "/index.json"))
d = [m for m in idx["manifests"] if m["annotations"]["org.opencontainers.image.ref.name"] == tag][0]
man = json.load(open(blobs + d["digest"][7:]))
cfg = json.load(open(blobs + man["config"]["digest"][7:]))
cfg["rootfs"]["diff_ids"].append("sha256:" + hashlib.sha256(tar).hexdigest())
cfg.setdefault("history", []).append({"created_by": "add_layer"})
cb = json.dumps(cfg).encode()
man["config"].update(digest=put(cb), size=len(cb))
man["layers"].append({"mediaType": "application/vnd.oci.image.layer.v1.tar+" + ("zstd" if zstd else "gzip"), "digest": put(gz), "size": len(gz)})
mb = json.dumps(man).encode()
d.update(digest=put(mb), size=len(mb))
json.dump(idx, open(lay + "/index.json", "w"))
PY
}

# ---- the image, made with umoci ------------------------------------------
umo init --layout img
umo new --image img:v1
umo unpack --rootless --image img:v1 "$T/b"
f=$T/b/rootfs
mkdir -p "$f/etc" "$f/opq/sub" "$f/keep/deep" "$f/bin"
echo hello >"$f/etc/hello"; echo gone >"$f/etc/gone"; echo old >"$f/opq/old"
echo old2 >"$f/opq/sub/old2"; echo k >"$f/keep/k"; echo x >"$f/keep/deep/x"
ln -s ../etc/hello "$f/bin/link"; chmod 0750 "$f/keep"; chmod 0600 "$f/keep/k"
umo repack --image img:v1 "$T/b"
rm -rf "$T/b"; umo unpack --rootless --image img:v1 "$T/b"
rm "$T/b/rootfs/etc/gone"; ln "$T/b/rootfs/etc/hello" "$T/b/rootfs/etc/hello2"
echo over >"$T/b/rootfs/keep/k"
umo repack --image img:v1 "$T/b"
add_layer img v1 d:opq f:opq/new:new w:opq/.wh..wh..opq D:home o:home/note:mine
umo insert --image img:v1 --whiteout /keep/nope
umo insert --image img:v1 --whiteout /keep/deep/x
umo config --image img:v1 --config.env FOO=bar --config.entrypoint /bin/sh --config.workingdir /keep --config.user 1000
digest=$(python3 -c 'import json,sys; print([m["digest"] for m in json.load(open("img/index.json"))["manifests"] if m["annotations"]["org.opencontainers.image.ref.name"] == "v1"][0])')
skopeo copy -q oci:img:v1 docker-archive:"$R/legacy.tar":test/app:v1 2>"$T/skopeo.err" || diag "$(cat "$T/skopeo.err")"
umoci raw unpack --rootless --image img:v1 "$T/oracle" >/dev/null 2>&1
mkdir -p "$T/plain"; echo plain >"$T/plain/p"; tar czf "$R/plain.tar.gz" -C "$T/plain" .
tar cf "$R/layout.tar" -C "$R/img" .

cat >"$R/mvbuild.yaml" <<Y
mvbuild: 1
sources:
  app: { oci-layout: img, ref: v1 }
  pinned: { oci-layout: img, ref: "$digest" }
  legacy: { docker-archive: legacy.tar }
  plain: { path: plain.tar.gz }
  tarred: { path: layout.tar }
images:
  app: { size: 32M, layers: [app] }
  pinned: { size: 32M, layers: [pinned] }
  legacy: { size: 32M, layers: [legacy] }
  mixed: { size: 32M, layers: [plain, app] }
  tarred: { size: 32M, layers: [tarred] }
Y
C=$T/cache
out_of() { awk -v o="$2" '$1 == o { print $2 }' <<<"$1"; }
# a tree as "path type mode size target-or-md5", lost+found left out
listing() {
	(cd "$1" && find . -mindepth 1 ! -path ./lost+found ! -path './lost+found/*' -printf '%P %y %m %s %l\n' |
		sort | while read -r p y m s l; do
			[ "$y" = f ] && l=$(md5sum <"$p" | cut -c1-32)
			echo "$p $y $m $s $l"
		done)
}

echo "# an OCI layout by tag: built, checked, the tree of umoci raw unpack"
mvb --cache "$C" build image:app
must_succeed "oci-layout by tag builds"
mvb --cache "$C" path image:app
img=$(out_of "$out" rootfs.ext4); man=$(out_of "$out" manifest); cfg=$(out_of "$out" oci-config)
e2fsck -fn "$img" >"$T/fsck.out" 2>&1
check_eq "e2fsck -fn is clean" "$?" 0
mkdir "$T/dump"; debugfs -R "rdump / $T/dump" "$img" >/dev/null 2>&1
check_eq "the image holds the tree umoci raw unpack gives" "$(listing "$T/dump")" "$(listing "$T/oracle")"
# rdump as non-root and umoci --rootless lose owners: tree.py reads them
# from the layer tars (whiteouts applied) and from the image with debugfs
tree_ext4=$(python3 "$TESTS_DIR/oci/tree.py" ext4 "$img")
check_eq "owners, modes, types, sizes and hardlink groups are the layer tars' (whiteouts applied)" \
	"$tree_ext4" "$(python3 "$TESTS_DIR/oci/tree.py" oracle img v1)"
check_contains "a file owned by 1000:1001 keeps its owner" "$tree_ext4" "home/note file 0640 1000 1001 4 -"
check_contains "the hardlink group is etc/hello and etc/hello2" "$tree_ext4" "etc/hello2 file 0644 0 0 6 etc/hello"
check "no .wh. file in the image" test -z "$(grep -F .wh. "$man")"
check_eq "the deleted file is gone, the opaque dir holds only the new file" \
	"$(grep -cE '^/etc/gone|^/opq/(old|sub)' "$man"):$(grep -c '^/opq/new	file' "$man")" "0:1"
check_eq "the nested whiteout removed /keep/deep/x, not its directory" \
	"$(grep -c '^/keep/deep/x' "$man"):$(grep -c '^/keep/deep	dir' "$man")" "0:1"
check_contains "the hardlink is one inode" "$(grep '^/etc/hello2' "$man")" "hardlink"
check "the whiteout of a missing path made nothing up" test -z "$(grep '^/keep/nope' "$man")"
check_contains "oci-config has Env and Entrypoint" "$(cat "$cfg")" '"Env":["FOO=bar"],"Entrypoint":["/bin/sh"]'
check_contains "oci-config has WorkingDir and User" "$(cat "$cfg")" '"WorkingDir":"/keep","User":"1000"'

echo "# the same image by digest, and from a docker-archive"
sed -i "s|app: { oci-layout: img, ref: v1 }|app: { oci-layout: img, ref: \"$digest\" }|" mvbuild.yaml
mvb --cache "$C" build image:app
must_succeed "oci-layout by digest builds"
check_eq "tag and digest refs have one key: nothing is rebuilt" "$(grep -c '^built' <<<"$errout")" 0
mvb --cache "$C" path image:app
check_eq "tag and digest refs give the same image" "$(out_of "$out" rootfs.ext4)" "$img"
sed -i "s|app: { oci-layout: img, ref: \"$digest\" }|app: { oci-layout: img, ref: v1 }|" mvbuild.yaml
echo "# reproducible: the same digest gives a bit-identical image in a fresh cache"
mvb --cache "$T/cache3" build image:app
mvb --cache "$T/cache3" path image:app
check "a fresh cache builds a bit-identical rootfs.ext4" cmp "$(out_of "$out" rootfs.ext4)" "$img"
mvb --cache "$C" build image:pinned
must_succeed "a second source of the same layout builds"
mvb --cache "$C" build image:legacy
must_succeed "docker-archive builds"
mvb --cache "$C" path image:legacy
check "the docker-archive gives the same tree" cmp -s "$(out_of "$out" manifest)" "$man"
mvb --cache "$C" fetch --print-checksums legacy
check_eq "fetch --print-checksums prints the archive's sha256" "$(awk '$2 == "sha256" { print $3 }' <<<"$out")" "$(sha256sum <legacy.tar | cut -c1-64)"
mvb --cache "$C" path source:app; app_layer=$(out_of "$out" layer-1)
mvb --cache "$C" path source:pinned
check_eq "a layer shared by two sources is one blob" "$(out_of "$out" layer-1)" "$app_layer"

echo "# plain tarballs: still layers; a tarred layout is refused, naming the new keys"
mvb --cache "$C" build image:mixed
must_succeed "a plain tarball below an image builds"
mvb --cache "$C" build image:tarred
check_eq "a tarred layout as path: fails" "$rc" 1
check_contains "the refusal names oci-layout:" "$errout" "'oci-layout: DIR' with 'ref:', or 'docker-archive: FILE'"

echo "# explain names the layer that changed"
add_layer img v1 f:etc/more:more
mvb --cache "$C" explain source:app
check_contains "explain names the new layer of source app" "$out" "layer 6 added (sha256:"

echo "# an image index: the platform's manifest is picked, a missing platform is named"
python3 - <<'PY'
import hashlib, json
idx = json.load(open("img/index.json"))
v1 = [m for m in idx["manifests"] if m["annotations"]["org.opencontainers.image.ref.name"] == "v1"][0]
arm = dict(v1, digest="sha256:" + "1" * 64, platform={"os": "linux", "architecture": "arm64"})
arm.pop("annotations")
amd = dict(v1, platform={"os": "linux", "architecture": "amd64"}); amd.pop("annotations")
doc = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
                  "manifests": [arm, amd]}).encode()
h = hashlib.sha256(doc).hexdigest(); open("img/blobs/sha256/" + h, "wb").write(doc)
idx["manifests"].append({"mediaType": "application/vnd.oci.image.index.v1+json", "digest": "sha256:" + h,
                         "size": len(doc), "annotations": {"org.opencontainers.image.ref.name": "multi"}})
json.dump(idx, open("img/index.json", "w"))
PY
sed -i 's/^images:$/  multi: { oci-layout: img, ref: multi }\n  s390: { oci-layout: img, ref: multi, platform: linux\/s390x }\nimages:\n  multi: { size: 32M, layers: [multi] }\n  s390: { size: 32M, layers: [s390] }/' mvbuild.yaml
mvb --cache "$C" build image:multi
must_succeed "an index builds for linux/amd64"
mvb --cache "$C" path image:multi; multi_man=$(out_of "$out" manifest)
mvb --cache "$C" build image:app
mvb --cache "$C" path image:app
check "the index gives the tree of its amd64 manifest (v1's)" cmp -s "$multi_man" "$(out_of "$out" manifest)"
mvb --cache "$C" build image:s390
check_contains "a platform the index lacks is named" "$errout" "the image index has no manifest for the platform linux/s390x (it has: linux/arm64, linux/amd64)"

echo "# a tar+zstd layer holding a whiteout that is a hardlink (containerd removes by name;"
echo "# umoci raw unpack ignores such an entry, so it is no oracle here)"
cp -a img zst
add_layer zst v1 f:etc/victim:v
add_layer zst v1 zstd f:etc/zstd:z h:etc/.wh.victim:etc/hello
sed -i 's/^images:$/  zst: { oci-layout: zst, ref: v1 }\nimages:\n  zst: { size: 32M, layers: [zst] }/' mvbuild.yaml
mvb --cache "$C" build image:zst
must_succeed "an image with a tar+zstd layer builds"
mvb --cache "$C" path image:zst
check_contains "the zstd layer's file is there" "$(cat "$(out_of "$out" manifest)")" "/etc/zstd	file"
check "the hardlink whiteout removed its file and left no link" \
	test -z "$(grep -E '^/etc/(victim|\.wh)' "$(out_of "$out" manifest)")"

echo "# a changed byte in a blob, an unknown media type: errors, nothing published"
# (a fresh cache: one holding the image already never reads the layout's blobs again)
C2=$T/cache2
cp -a img bad
blob=$(python3 -c 'import json; m=json.load(open("bad/index.json"))["manifests"][0]["digest"][7:]; print(json.load(open("bad/blobs/sha256/"+m))["layers"][0]["digest"])')
python3 - "bad/blobs/sha256/${blob#sha256:}" <<'PY'
import sys; p = sys.argv[1]; b = bytearray(open(p, "rb").read()); b[len(b) // 2] ^= 1
import os; os.chmod(p, 0o644); open(p, "wb").write(b)
PY
cat >>mvbuild.yaml <<Y
  bad: { oci-layout: bad, ref: v1 }
  weird: { oci-layout: weird, ref: v1 }
Y
sed -i 's/^images:$/images:\n  bad: { size: 32M, layers: [bad] }\n  weird: { size: 32M, layers: [weird] }/' mvbuild.yaml
python3 - <<'PY'
# move the source entries above images: (appended after them)
t = open("mvbuild.yaml").read().splitlines()
src = [l for l in t if l.startswith("  bad: { oci") or l.startswith("  weird: { oci")]
t = [l for l in t if l not in src]
i = t.index("images:"); t[i:i] = src
open("mvbuild.yaml", "w").write("\n".join(t) + "\n")
PY
mvb --cache "$C2" build image:bad
check_eq "a corrupted layer fails the build" "$rc" 1
check_contains "the error names the blob" "$errout" "layer '$blob' does not match its digest"
mvb --cache "$C2" path source:bad
check "no cache entry for the corrupted source" test "$rc" -ne 0
cp -a img weird
python3 - <<'PY'
import json, hashlib, os
d = "weird/blobs/sha256/"
idx = json.load(open("weird/index.json"))
m = json.load(open(d + idx["manifests"][0]["digest"][7:]))
m["layers"][0]["mediaType"] = "application/vnd.example.foo"
b = json.dumps(m).encode(); h = hashlib.sha256(b).hexdigest()
open(d + h, "wb").write(b)
idx["manifests"][0]["digest"] = "sha256:" + h; idx["manifests"][0]["size"] = len(b)
os.chmod("weird/index.json", 0o644); json.dump(idx, open("weird/index.json", "w"))
PY
mvb --cache "$C2" build image:weird
check_contains "an unknown media type is named" "$errout" "layer media type 'application/vnd.example.foo' is not a tar, tar+gzip or tar+zstd layer"
check "and is an error before anything is built" test "$rc" -ne 0

echo "# a digest the layout does not hold: named, nothing published"
nodig=sha256:$(printf '%064d' 0)
sed -i "s/^images:\$/  nodig: { oci-layout: img, ref: \"$nodig\" }\nimages:\n  nodig: { size: 32M, layers: [nodig] }/" mvbuild.yaml
mvb --cache "$C2" build image:nodig
check_eq "a wrong digest in the recipe fails the build" "$rc" 1
check_contains "the error names the digest and the index" "$errout" "img/index.json' has no manifest of digest '$nodig'"
mvb --cache "$C2" path source:nodig
check "no cache entry for it" test "$rc" -ne 0

echo "# a blob that is a symlink out of the layout is refused"
cp -a img esc
cp "esc/blobs/sha256/${blob#sha256:}" "$T/outside"
ln -sf "$T/outside" "esc/blobs/sha256/${blob#sha256:}"
sed -i 's/^images:$/  esc: { oci-layout: esc, ref: v1 }\nimages:\n  esc: { size: 32M, layers: [esc] }/' mvbuild.yaml
mvb --cache "$C2" build image:esc
check_contains "the escape is named" "$errout" "leads out of the layout"
mvb --cache "$C2" path source:esc
check "no cache entry for it" test "$rc" -ne 0
echo "# an image (no index) must be of the recipe's platform: os, arch, and the variant when both name one"
cp -a img plat
python3 - <<'PY'
import hashlib, json, os
lay = "plat"; blobs = lay + "/blobs/sha256/"
def put(b):
    h = hashlib.sha256(b).hexdigest(); open(blobs + h, "wb").write(b); return h
idx = json.load(open(lay + "/index.json"))
d = [m for m in idx["manifests"] if m["annotations"]["org.opencontainers.image.ref.name"] == "v1"][0]
m = json.load(open(blobs + d["digest"][7:]))
c = json.load(open(blobs + m["config"]["digest"][7:]))
c["variant"] = "v2"
cb = json.dumps(c).encode(); m["config"]["digest"] = "sha256:" + put(cb); m["config"]["size"] = len(cb)
mb = json.dumps(m).encode(); d["digest"] = "sha256:" + put(mb); d["size"] = len(mb)
os.chmod(lay + "/index.json", 0o644); json.dump(idx, open(lay + "/index.json", "w"))
PY
sed -i 's/^images:$/  plat: { oci-layout: plat, ref: v1 }\n  plat-v2: { oci-layout: plat, ref: v1, platform: linux\/amd64\/v2 }\n  plat-v3: { oci-layout: plat, ref: v1, platform: linux\/amd64\/v3 }\n  plat-arm: { oci-layout: plat, ref: v1, platform: linux\/arm64 }\nimages:\n  plat: { size: 32M, layers: [plat] }\n  plat-v2: { size: 32M, layers: [plat-v2] }\n  plat-v3: { size: 32M, layers: [plat-v3] }\n  plat-arm: { size: 32M, layers: [plat-arm] }/' mvbuild.yaml
mvb --cache "$C2" build image:plat
must_succeed "a recipe naming no variant takes the image of variant v2"
mvb --cache "$C2" build image:plat-v2
must_succeed "a recipe naming its variant takes it"
mvb --cache "$C2" build image:plat-v3
check_contains "another variant is refused, naming both" "$errout" "the image is for linux/amd64/v2, not the platform linux/amd64/v3"
mvb --cache "$C2" path source:plat-v3
check "no cache entry for it" test "$rc" -ne 0
mvb --cache "$C2" build image:plat-arm
check_contains "another architecture is refused, naming both" "$errout" "the image is for linux/amd64/v2, not the platform linux/arm64"
done_testing
