#!/usr/bin/env bash
# Records and action entries (trust model): two recipes that an ad-hoc join
# would describe alike get different keys and images; an action entry
# edited on disk (two outputs' digests swapped, or filed under another key)
# is reported by `cache verify` and never served by `build`.
. "$(dirname "$0")/../lib.sh"

C=$T/cache
events() { grep -o '"event":"[a-z]*","node":"[^"]*"' <<<"$errout" | sed 's/"event":"\([a-z]*\)","node":"\([^"]*\)"/\1 \2/' | sort | tr '\n' ' '; }
# image_path DIR: the rootfs.ext4 that `mvbuild path` gives for DIR's recipe
image_path() { (cd "$1" && "$MVBUILD" --cache "$C" path image:small | awk '$1 == "rootfs.ext4" {print $2}'); }
# image_entry: the action entry (under $C/ac) whose outputs are rootfs.ext4 and manifest
image_entry() { grep -l '^output rootfs.ext4 ' "$C"/ac/*/* | head -1; }
fsck_ok() { e2fsck -fn "$1" >/dev/null 2>&1; }

# --- 1. a mkdir path holding " mode=0700" is not a mkdir with mode 0700 ----
small_image_recipe "$T/a"
small_image_recipe "$T/b"
echo "a" >"$T/a/overlay/etc/motd"
echo "a" >"$T/b/overlay/etc/motd"
cat >>"$T/a/mvbuild.yaml" <<'Y'
      - { mkdir: "/data mode=0700" }
Y
cat >>"$T/b/mvbuild.yaml" <<'Y'
      - { mkdir: /data, mode: "0700" }
Y
cd "$T/a"
mvb --cache "$C" --json build image:small
check_eq "recipe A (mkdir \"/data mode=0700\") builds" "$rc" 0
cd "$T/b"
mvb --cache "$C" --json build image:small
check_eq "recipe B (mkdir /data, mode 0700) builds" "$rc" 0
check_contains "recipe B is built, not served A's image" "$(events)" "built image:small"
check_eq "the two recipes have two image action entries" \
	"$(grep -l '^output rootfs.ext4 ' "$C"/ac/*/* | wc -l)" 2
img_a=$(image_path "$T/a")
img_b=$(image_path "$T/b")
check "the two images differ" bash -c "[ -f '$img_a' ] && [ -f '$img_b' ] && ! cmp -s '$img_a' '$img_b'"
check "image A passes e2fsck -fn" fsck_ok "$img_a"
check "image B passes e2fsck -fn" fsck_ok "$img_b"
check_contains "image A holds a directory named '/data mode=0700'" \
	"$(debugfs -R 'ls -l /' "$img_a" 2>/dev/null)" "data mode=0700"
check_contains "image B holds /data with mode 0700" \
	"$(debugfs -R 'stat /data' "$img_b" 2>/dev/null)" "Mode:  0700"
# keys: the action entries' names (ac/ab/KEY) in a cache
keys() { (cd "$1/ac" && ls */* | sort | tr '\n' ' '); }
cp -r "$T/a" "$T/a-copy"
cd "$T/a-copy"
mvb --cache "$T/cache2" build image:small
k2=$(keys "$T/cache2")
missing=0
for k in $k2; do [ -f "$C/ac/$k" ] || missing=$((missing + 1)); done
check_eq "the same recipe elsewhere, in another cache, gives the same keys (2 keys, 0 new)" \
	"$(wc -w <<<"$k2") keys, $missing new" "2 keys, 0 new"

# --- 2. swapping two outputs' digests in an entry is seen and never served --
rm -rf "$C"
cd "$T/a"
mvb --cache "$C" build image:small
entry=$(image_entry)
check "the image has an action entry" test -f "$entry"
# swap_digests FILE: exchange the digests of the rootfs.ext4 and manifest lines
swap_digests() {
	local img man
	img=$(awk '$1 == "output" && $2 == "rootfs.ext4" {print $3}' "$1")
	man=$(awk '$1 == "output" && $2 == "manifest" {print $3}' "$1")
	chmod u+w "$1"
	sed -i -e "s/^output rootfs.ext4 $img /output rootfs.ext4 $man /" \
		-e "s/^output manifest $man /output manifest $img /" "$1"
	chmod a-w "$1"
	[ -n "$img" ] && [ -n "$man" ] && grep -q "^output rootfs.ext4 $man " "$1"
}
check "two digests swapped in the entry" swap_digests "$entry"
mvb --cache "$C" cache verify
check_eq "cache verify fails on the edited entry" "$rc" 1
check_contains "cache verify names the entry and why" "$out" "does not match its seal"
check "cache verify counts it corrupt" grep -Eq 'verified .*: [1-9][0-9]* corrupt' <<<"$out"
mvb --cache "$C" --json build image:small
check_eq "build after verify rebuilds" "$(events)" "built image:small started image:small "
check "the rebuilt image passes e2fsck -fn" fsck_ok "$(image_path "$T/a")"

entry=$(image_entry)
swap_digests "$entry"
mvb --cache "$C" --json build image:small
check_eq "build with an edited entry succeeds" "$rc" 0
check_eq "build treats the edited entry as a miss, says so and rebuilds" "$(events)" \
	"built image:small note image:small started image:small "
check_contains "build says it dropped the entry" "$errout" "does not match its seal (edited or truncated); rebuilding"
img=$(image_path "$T/a")
check "mvbuild path gives an image, not the manifest (e2fsck -fn)" fsck_ok "$img"
mvb --cache "$C" cache verify
check_eq "the cache verifies clean again" "$rc" 0

# --- 3. an entry filed under another key is not that key's ----------------
entry=$(image_entry)
other=$(grep -L '^output rootfs.ext4 ' "$C"/ac/*/* | head -1)
chmod u+w "$other"
cp "$entry" "$other"
mvb --cache "$C" cache verify
check_eq "cache verify fails on an entry under another key" "$rc" 1
check_contains "cache verify says it holds another key's record" "$out" "record of another key"
mvb --cache "$C" --json build image:small
check_eq "build after a moved entry succeeds" "$rc" 0
check "the image still passes e2fsck -fn" fsck_ok "$(image_path "$T/a")"

done_testing
