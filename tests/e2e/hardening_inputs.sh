#!/usr/bin/env bash
# Hostile recipes under bounded time and memory, and 20 rounds of two
# simultaneous builds of one target on one cache.
. "$(dirname "$0")/../lib.sh"
cd "$T"
limited() { # run mvbuild with 10 s and 256 MiB (address space is unusable under ASan)
	out=$(timeout 10 prlimit --cpu=10 "$MVBUILD" "$@" 2>"$T/.stderr"); rc=$?
	errout=$(cat "$T/.stderr")
}

python3 - <<'PY'
depth = 200
open("deep.yaml", "w").write("mvbuild: 1\nname: " + "[" * depth + "]" * depth + "\n")
laughs = ["mvbuild: 1", 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
for i in range(1, 10):
    prev = chr(ord('a') + i - 1); cur = chr(ord('a') + i)
    laughs.append(f"{cur}: &{cur} [*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev}]")
open("laughs.yaml", "w").write("\n".join(laughs) + "\n")
open("big.yaml", "w").write("mvbuild: 1\n" + "# padding\n" * (2 * 1024 * 1024 // 10))
import os
open("garbage.yaml", "wb").write(os.urandom(65536))
open("nul.yaml", "wb").write(b"mvbuild: 1\nname: a\x00b\n")
PY
for f in deep laughs big garbage nul; do
	limited -f "$f.yaml" check
	check_eq "hostile recipe '$f' is refused with status 2 in bounded time" "$rc" 2
	check_contains "hostile recipe '$f' gets a located error" "$errout" "$f.yaml"
done

small_image_recipe "$T/r"
cd "$T/r"
bad=0 built_once=0
for round in $(seq 20); do
	echo "round $round" >overlay/etc/motd
	"$MVBUILD" --cache "$T/cache" --json build image:small >a.out 2>a.err & a=$!
	"$MVBUILD" --cache "$T/cache" --json build image:small >b.out 2>b.err & b=$!
	wait $a; ra=$?; wait $b; rb=$?
	n=$(cat a.err b.err | grep -c '"event":"built","node":"image:small"')
	if [ "$ra$rb" = 00 ] && cmp -s a.out b.out; then :; else bad=$((bad + 1)); fi
	[ "$n" -eq 1 ] && built_once=$((built_once + 1))
done
check_eq "20 rounds of two concurrent builds: all succeed with identical outputs" "$bad" 0
check_eq "20 rounds: exactly one build per round did the work" "$built_once" 20
mvb --cache "$T/cache" cache verify
check_eq "cache verify clean after the concurrent rounds" "$rc" 0
done_testing
