#!/usr/bin/env bash
# `init: oci` (issue 17): a profile boots its root image's container
# entrypoint.  The busybox rootfs is made an OCI image layout (one gzip
# layer) whose config has Entrypoint, Cmd, Env (a value with a space and a
# quote), WorkingDir (missing in the image, so made) and a non-root User;
# the guest, booted under qemu with TCG on the demo kernel (shared through
# $MVBUILD_TEST_CACHE), prints what the entrypoint sees.  Also: the shim is
# in the image only when a profile boots it so; init: oci on an image
# without a container layer, and on one whose config has nothing to run,
# are errors naming them.
. "$(dirname "$0")/../lib.sh"
need_qemu "init: oci boot"
cache=$(demo_cache)
rootfs=$(busybox_rootfs)
R=$T/r
mkdir -p "$R"
cp -r "$REPO_DIR/recipes/." "$R/"
# oci_layout DIR CONFIG_JSON: an OCI layout of the busybox rootfs, tag v1
oci_layout() {
	python3 - "$1" "$rootfs" "$2" <<'PY'
import gzip, hashlib, json, os, sys
lay, tarball, runtime = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
os.makedirs(lay + "/blobs/sha256", exist_ok=True)
def put(b):
    h = hashlib.sha256(b).hexdigest()
    open(lay + "/blobs/sha256/" + h, "wb").write(b)
    return {"digest": "sha256:" + h, "size": len(b)}
gz = open(tarball, "rb").read()
tar = gzip.decompress(gz)
cfg = {"architecture": "amd64", "os": "linux", "config": runtime,
       "rootfs": {"type": "layers", "diff_ids": ["sha256:" + hashlib.sha256(tar).hexdigest()]}}
c = put(json.dumps(cfg).encode())
layer = put(gz)
man = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
       "config": dict(c, mediaType="application/vnd.oci.image.config.v1+json"),
       "layers": [dict(layer, mediaType="application/vnd.oci.image.layer.v1.tar+gzip")]}
m = put(json.dumps(man).encode())
json.dump({"schemaVersion": 2, "manifests": [dict(m, mediaType=man["mediaType"],
           annotations={"org.opencontainers.image.ref.name": "v1"})]}, open(lay + "/index.json", "w"))
json.dump({"imageLayoutVersion": "1.0.0"}, open(lay + "/oci-layout", "w"))
PY
}
oci_layout "$R/app" '{"Entrypoint": ["/bin/sh", "-c"],
 "Cmd": ["echo \"oci-e2e: greeting=$GREETING pwd=$(pwd) pid=$$ path=$PATH\""],
 "Env": ["GREETING=hello '"'"'oci'"'"' world", "PATH=/bin:/sbin:/usr/bin"],
 "WorkingDir": "/srv/app", "User": "nobody"}'
oci_layout "$R/empty" '{"Env": ["A=1"]}'
cat >"$R/mvbuild.yaml" <<'Y'
mvbuild: 1
name: oci-init-e2e
include: [demo.yaml]
sources:
  app: { oci-layout: app, ref: v1 }
  empty: { oci-layout: empty, ref: v1 }
images:
  app: { size: 64M, epoch: 1700000000, layers: [app] }
  plain: { size: 64M, epoch: 1700000000, layers: [app] }
profiles:
  oci: { hypervisor: qemu, kernel: microvm, image: app, init: oci }
Y
mvb -f "$R/mvbuild.yaml" --cache "$cache" check
must_succeed "a profile with init: oci passes check"
mvb -f "$R/mvbuild.yaml" --cache "$cache" build profile:oci
must_succeed "the init: oci profile builds"
mvb -f "$R/mvbuild.yaml" --cache "$cache" build image:plain
must_succeed "the same image that no profile boots with init: oci builds"
img=$("$MVBUILD" -f "$R/mvbuild.yaml" --cache "$cache" path image:app rootfs.ext4)
plain=$("$MVBUILD" -f "$R/mvbuild.yaml" --cache "$cache" path image:plain rootfs.ext4)
shim=$(debugfs -R "cat /.mvbuild/oci-init" "$img" 2>/dev/null)
check_contains "the image booted with init: oci holds the shim" "$shim" "written by mvbuild for 'init: oci'"
check_contains "the shim quotes the config's values" "$shim" "export 'GREETING=hello '\\''oci'\\'' world'"
check "the shim is executable" bash -c \
	"debugfs -R 'stat /.mvbuild/oci-init' '$img' 2>/dev/null | grep -Eq 'Mode: +0755'"
check "an image no profile boots with init: oci has no shim" bash -c \
	"[ -f '$plain' ] && ! debugfs -R 'stat /.mvbuild' '$plain' 2>/dev/null | grep -q Inode"
mvb -f "$R/mvbuild.yaml" --cache "$cache" path profile:oci
qjson=$(awk '$1 == "qemu.json" {print $2}' <<<"$out")
check "the kernel runs the shim (init=/.mvbuild/oci-init)" grep -q 'init=/.mvbuild/oci-init' "$qjson"

timeout 300 "$MVBUILD" -f "$R/mvbuild.yaml" --cache "$cache" run oci --accel tcg \
	</dev/null >"$T/console" 2>"$T/err"
check_eq "run exits 0" "$?" 0
console=$(cat "$T/console")
check_contains "the entrypoint ran with the config's Env" "$console" "oci-e2e: greeting=hello 'oci' world"
check_contains "in the config's WorkingDir, made because it was missing" "$console" "pwd=/srv/app"
check_contains "with the config's PATH" "$console" "path=/bin:/sbin:/usr/bin"
check_contains "the shim says User is not applied" "$console" "User 'nobody' is not applied"
check_contains "and how the entrypoint exited" "$console" "oci-init: the entrypoint exited with status 0"

cat >>"$R/mvbuild.yaml" <<'Y'
  noentry: { hypervisor: qemu, kernel: microvm, image: none, init: oci }
Y
sed -i 's/^images:$/images:\n  none: { size: 64M, epoch: 1700000000, layers: [empty] }/' "$R/mvbuild.yaml"
mvb -f "$R/mvbuild.yaml" --cache "$cache" build profile:noentry
check_eq "a config with nothing to run: build fails" "$rc" 1
check_contains "naming the image and what is missing" "$errout" \
	"container image 'empty' has no Entrypoint and no Cmd: 'init: oci' has nothing to run"
sed -i 's/^  none: { size: 64M, epoch: 1700000000, layers: \[empty\] }/  none: { size: 64M, epoch: 1700000000, layers: [rootfs] }/' "$R/mvbuild.yaml"
mvb -f "$R/mvbuild.yaml" --cache "$cache" check
check_eq "init: oci on an image without a container layer: recipe error" "$rc" 2
check_contains "naming the profile and the image" "$errout" \
	"profile 'noentry' boots with 'init: oci', but image 'none' has no container image among its layers"
done_testing
