#!/usr/bin/env bash
# The engine with real builders (sources, images): exact rebuilds, explain,
# corrupt blobs, kill -9 at several moments, concurrent builds, gc bounds.
. "$(dirname "$0")/../lib.sh"

small_image_recipe "$T/r"
echo "hello" >"$T/r/overlay/etc/motd"
echo "keep" >"$T/r/overlay/etc/other"
C=$T/cache
cd "$T/r"
events() { grep -o '"event":"[a-z]*","node":"[^"]*"' <<<"$errout" | sed 's/"event":"\([a-z]*\)","node":"\([^"]*\)"/\1 \2/' | sort | tr '\n' ' '; }

mvb --cache "$C" --json build image:small
check_eq "first build succeeds" "$rc" 0
check_contains "first build builds the image" "$(events)" "built image:small"
# with --json, build prints one object per output (docs/json.md)
path1=$(sed -n 's/.*"output":"rootfs.ext4","path":"\([^"]*\)".*/\1/p' <<<"$out")
check "build prints the image path" test -f "$path1"

sleep 2.1 # outside the digest memo's racy window
mvb --cache "$C" --json build image:small
check_eq "no-op build succeeds" "$rc" 0
check_eq "no-op build runs no builder" "$(events)" "cached image:small "

echo "changed" >"$T/r/overlay/etc/motd"
mvb --cache "$C" explain image:small
check_contains "explain names the changed overlay file" "$out" "overlay/etc/motd changed"
check "explain does not name the unchanged one" bash -c "! grep -q 'overlay/etc/other' <<<'$out'"
mvb --cache "$C" --json build image:small
check_eq "changed overlay file rebuilds only the image" "$(events)" "built image:small started image:small "

mvb --cache "$C" path image:small
img=$(awk '$1 == "rootfs.ext4" {print $2}' <<<"$out")
check "path prints the cached image" test -f "$img"
chmod u+w "$img"; printf 'garbage' | dd of="$img" bs=1 seek=1024 conv=notrunc 2>/dev/null
mvb --cache "$C" --json build image:small
check_eq "a corrupt blob is rebuilt" "$rc" 0
check_contains "the corruption is reported" "$errout" "corrupt"
mvb --cache "$C" cache verify
check_eq "cache verify is clean after the rebuild" "$rc" 0

# kill -9 at several moments of a build, then verify and rebuild
for delay in 0.02 0.05 0.1 0.2 0.4; do
	echo "$delay" >"$T/r/overlay/etc/motd"
	"$MVBUILD" --cache "$C" build image:small >/dev/null 2>&1 &
	pid=$!
	sleep "$delay"
	kill -9 "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	mvb --cache "$C" cache verify
	check_eq "cache verify clean after kill -9 at ${delay}s" "$rc" 0
	mvb --cache "$C" build image:small
	check_eq "build succeeds after kill -9 at ${delay}s" "$rc" 0
done

# two builds at once on one cache: both succeed, one builds
echo "concurrent" >"$T/r/overlay/etc/motd"
"$MVBUILD" --cache "$C" --json build image:small >"$T/a.out" 2>"$T/a.err" & a=$!
"$MVBUILD" --cache "$C" --json build image:small >"$T/b.out" 2>"$T/b.err" & b=$!
wait $a; ra=$?; wait $b; rb=$?
check_eq "both concurrent builds succeed" "$ra $rb" "0 0"
check_eq "both print the same outputs" "$(cat "$T/a.out")" "$(cat "$T/b.out")"
nbuilt=$(cat "$T/a.err" "$T/b.err" | grep -c '"event":"built","node":"image:small"')
check_eq "exactly one of them built" "$nbuilt" 1

mvb --cache "$C" gc --max-size 1M
check_eq "gc succeeds" "$rc" 0
alloc=$(du -sk "$C/cas" | cut -f1)
check "gc --max-size 1M leaves at most 1 MiB of blobs ($alloc KiB)" test "$alloc" -le 1100
mvb --cache "$C" cache verify
check_eq "cache verify clean after gc" "$rc" 0
mvb --cache "$C" --json build image:small
check_eq "build after gc succeeds" "$rc" 0
done_testing
