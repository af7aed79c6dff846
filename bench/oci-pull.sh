#!/usr/bin/env bash
# bench/oci-pull.sh: a container image pulled from a registry on 127.0.0.1,
# `mvbuild fetch` of an `oci:` source into an empty cache against
# `skopeo copy docker://… oci:DIR` of the same image (the reference: it also
# downloads, verifies and writes every blob), run in turn, RUNS times each.
# The image has one layer of SIZE_MIB MiB of random data (a plain tar) and is
# served by Debian's docker-registry (make deps installs it and skopeo).
# Prints each run and the median of each side, and their ratio.
# Usage: bench/oci-pull.sh [WORKDIR]  (RUNS=5, SIZE_MIB=200, MVBUILD=path)
set -eu
REPO=$(cd "$(dirname "$0")/.." && pwd)
W=${1:-$(mktemp -d /tmp/mvbuild-bench-oci.XXXXXX)}
RUNS=${RUNS:-5}
SIZE_MIB=${SIZE_MIB:-200}
MVBUILD=${MVBUILD:-$REPO/mvbuild}
for tool in docker-registry skopeo python3; do
	command -v $tool >/dev/null || { echo "bench/oci-pull.sh: $tool not found (make deps installs it)" >&2; exit 1; }
done
[ -x "$MVBUILD" ] || make -s -C "$REPO" mvbuild
mkdir -p "$W"
cd "$W"

# the image: an OCI layout with one plain-tar layer, written by python
rm -rf root lay
mkdir root
head -c $((SIZE_MIB << 20)) /dev/urandom >root/data.bin
tar -C root -cf layer.tar .
python3 - <<'PY'
import hashlib, json, os, shutil
os.makedirs("lay/blobs/sha256")
def blob(data):
    d = hashlib.sha256(data).hexdigest()
    open("lay/blobs/sha256/" + d, "wb").write(data)
    return {"digest": "sha256:" + d, "size": len(data)}
h = hashlib.sha256()
with open("layer.tar", "rb") as f:
    for piece in iter(lambda: f.read(1 << 20), b""):
        h.update(piece)
layer = {"mediaType": "application/vnd.oci.image.layer.v1.tar",
         "digest": "sha256:" + h.hexdigest(), "size": os.path.getsize("layer.tar")}
shutil.copy("layer.tar", "lay/blobs/sha256/" + h.hexdigest())
config = blob(json.dumps({"architecture": "amd64", "os": "linux", "config": {},
                          "rootfs": {"type": "layers", "diff_ids": [layer["digest"]]}}).encode())
config["mediaType"] = "application/vnd.oci.image.config.v1+json"
manifest = blob(json.dumps({"schemaVersion": 2,
                            "mediaType": "application/vnd.oci.image.manifest.v1+json",
                            "config": config, "layers": [layer]}).encode())
manifest["mediaType"] = "application/vnd.oci.image.manifest.v1+json"
manifest["annotations"] = {"org.opencontainers.image.ref.name": "v1"}
json.dump({"schemaVersion": 2, "manifests": [manifest]}, open("lay/index.json", "w"))
open("lay/oci-layout", "w").write('{"imageLayoutVersion":"1.0.0"}')
PY
rm -rf root layer.tar

# the registry, on a free port of 127.0.0.1
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat >registry.yml <<Y
version: 0.1
storage: { filesystem: { rootdirectory: $W/registry } }
http: { addr: "127.0.0.1:$port" }
log: { level: error }
Y
docker-registry serve registry.yml >registry.log 2>&1 &
registry=$!
trap 'kill $registry 2>/dev/null; wait $registry 2>/dev/null' EXIT
for _ in $(seq 50); do skopeo inspect --tls-verify=false --raw "docker://127.0.0.1:$port/v2/" >/dev/null 2>&1 && break; sleep 0.1; done
skopeo copy -q --dest-tls-verify=false oci:lay:v1 "docker://127.0.0.1:$port/bench/img:v1"
digest=sha256:$(skopeo inspect --tls-verify=false --raw "docker://127.0.0.1:$port/bench/img:v1" | sha256sum | cut -d' ' -f1)
ref="127.0.0.1:$port/bench/img@$digest"
printf 'mvbuild: 1\nsources:\n  img: { oci: "%s" }\n' "$ref" >mvbuild.yaml

seconds() { /usr/bin/time -f %e "$@" 2>&1 >/dev/null | tail -1; }
mv_times=() sk_times=()
echo "image: $SIZE_MIB MiB layer, $ref"
for i in $(seq "$RUNS"); do
	rm -rf cache out && sync
	m=$(seconds "$MVBUILD" -f mvbuild.yaml --cache cache fetch img)
	[ -f "$("$MVBUILD" -f mvbuild.yaml --cache cache path source:img layer-1)" ] || { echo "mvbuild fetch failed" >&2; exit 1; }
	sync
	s=$(seconds skopeo copy -q --src-tls-verify=false "docker://$ref" oci:out:x)
	echo "run $i: mvbuild fetch $m s, skopeo copy $s s"
	mv_times+=("$m") sk_times+=("$s")
done
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR + 1) / 2)]}'; }
mm=$(median "${mv_times[@]}") sm=$(median "${sk_times[@]}")
echo "command: ${MVBUILD:+MVBUILD=$MVBUILD }bench/oci-pull.sh (RUNS=$RUNS SIZE_MIB=$SIZE_MIB)"
printf 'median: mvbuild fetch %s s, skopeo copy %s s, ratio %.2fx\n' "$mm" "$sm" "$(echo "$mm / $sm" | bc -l)"
