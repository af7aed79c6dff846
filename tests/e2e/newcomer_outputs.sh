#!/usr/bin/env bash
# What a newcomer reads: a plain `build` prints the outputs of every kernel,
# image and profile (as README and `build --help` say), and `explain` counts
# layers and overlays from 1, as recipe errors do.
. "$(dirname "$0")/../lib.sh"

small_image_recipe "$T/r"
cat >>"$T/r/mvbuild.yaml" <<'Y'
      - { content: "one\n", to: /etc/one, mode: "0644" }
Y
cd "$T/r"
mvb --cache "$T/c" build
check_eq "a plain build succeeds" "$rc" 0
check_eq "it prints every image's outputs, not only the top targets" \
	"$(awk '{print $1, $2}' <<<"$out" | sort | tr '\n' ' ')" \
	"image:small manifest image:small rootfs.ext4 "

sed -i 's|mode: "0644" }|mode: "0600" }|' mvbuild.yaml
mvb --cache "$T/c" explain image:small
check_contains "explain numbers the second overlay 2, as errors do" "$out" "overlay 2 mode"
check "and never overlay 0" bash -c "! grep -q 'overlay 0' <<<'$out'"

# a container image saved as a tar is refused, not unpacked as blobs/ and index.json
python3 - "$T/r" <<'P'
import io, sys, tarfile
def tar(path, names):
    with tarfile.open(path, "w") as t:
        for n in names:
            data = b"{}"
            i = tarfile.TarInfo(n); i.size = len(data); t.addfile(i, io.BytesIO(data))
tar(sys.argv[1] + "/oci.tar", ["blobs/sha256/aa", "index.json", "oci-layout"])
tar(sys.argv[1] + "/saved.tar", ["manifest.json", "0123abcd/layer.tar", "repositories"])
P
cat >oci.yaml <<'Y'
mvbuild: 1
name: oci
sources:
  oci: { path: oci.tar }
  saved: { path: saved.tar }
images:
  oci: { size: 8M, layers: [oci] }
  saved: { size: 8M, layers: [saved] }
Y
mvb -f oci.yaml --cache "$T/c" build image:oci
check_eq "an OCI layout as a layer fails the build" "$rc" 1
check_contains "saying what it is and what to do" "$errout" \
	"layer 'oci': it is an OCI image layout (it holds 'oci-layout'), not a root filesystem tarball"
mvb -f oci.yaml --cache "$T/c" build image:saved
check_eq "a docker save archive as a layer fails the build" "$rc" 1
check_contains "saying what it is" "$errout" "it is a 'docker save' archive (it holds '0123abcd/layer.tar')"

# a recipe error on the same overlay says the same number
sed -i 's|mode: "0600" }|mode: 0600 }|' mvbuild.yaml
mvb --cache "$T/c" check
check_contains "the recipe error says overlay 2 too" "$errout" "'mode' in overlay 2 of image 'small'"
done_testing
