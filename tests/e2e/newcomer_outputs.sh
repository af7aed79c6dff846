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

# a recipe error on the same overlay says the same number
sed -i 's|mode: "0600" }|mode: 0600 }|' mvbuild.yaml
mvb --cache "$T/c" check
check_contains "the recipe error says overlay 2 too" "$errout" "'mode' in overlay 2 of image 'small'"
done_testing
