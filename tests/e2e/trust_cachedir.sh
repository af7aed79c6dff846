#!/usr/bin/env bash
# A cache is recognised, never adopted (docs/cache.md, docs/security.md):
# a non-empty directory without the VERSION marker, or with another one, is
# refused with exit 2 and nothing in it is touched; an absent or empty
# directory becomes a cache; gc never follows a symlink out of the cache;
# gc removes the run directories of runs that are gone and keeps the rest;
# gc uses the config's cache max_size when no --max-size is given.
. "$(dirname "$0")/../lib.sh"

# a home directory: scratch, an old source tree, a file; never a cache
home=$T/home
mkdir -p "$home/tmp" "$home/src/project"
echo keep >"$home/tmp/notes.txt"
echo code >"$home/src/project/main.c"
touch -d '30 days ago' "$home/src/project"
echo mine >"$home/file.txt"
snapshot() { (cd "$1" && find . | sort && cat tmp/notes.txt src/project/main.c file.txt) 2>&1; }
before=$(snapshot "$home")

mvb --cache "$home" gc --max-age 7
check_eq "gc on a home directory: exit 2" "$rc" 2
check_contains "gc on a home directory: says it is not a cache" "$errout" \
	"'$home' is not an mvbuild cache"
check_contains "the refusal says how to pick another cache" "$errout" \
	"--cache DIR or MVBUILD_CACHE=DIR"
check_eq "gc on a home directory: nothing deleted, nothing created" "$(snapshot "$home")" "$before"

MVBUILD_CACHE=$home mvb gc
check_eq "MVBUILD_CACHE naming a home directory: exit 2" "$rc" 2
check_eq "MVBUILD_CACHE naming a home directory: nothing changed" "$(snapshot "$home")" "$before"

mkdir -p "$T/r"
printf 'data\n' >"$T/r/data.txt"
cat >"$T/r/mvbuild.yaml" <<'Y'
mvbuild: 1
name: cachedir-test
sources:
  data: { path: data.txt }
Y
mvb -f "$T/r/mvbuild.yaml" --cache "$home" build source:data
check_eq "build into a home directory: exit 2" "$rc" 2
check_eq "build into a home directory: nothing changed" "$(snapshot "$home")" "$before"

# a directory holding only a .gitkeep is not empty either
mkdir -p "$T/kept"
touch "$T/kept/.gitkeep"
mvb --cache "$T/kept" gc
check_eq "a directory with only .gitkeep: exit 2" "$rc" 2
check "a directory with only .gitkeep: no VERSION written" test ! -e "$T/kept/VERSION"

# a file is not a cache
echo text >"$T/afile"
mvb --cache "$T/afile" gc
check_eq "a regular file as the cache: exit 2" "$rc" 2
check_contains "a regular file as the cache: says so" "$errout" "'$T/afile' is not an mvbuild cache"

# absent and empty directories become caches
mvb --cache "$T/absent" gc
check_eq "an absent directory: gc succeeds" "$rc" 0
check_eq "an absent directory becomes a cache" "$(cat "$T/absent/VERSION" 2>&1)" "mvbuild-cache 1"
mkdir "$T/empty"
mvb -f "$T/r/mvbuild.yaml" --cache "$T/empty" build source:data
check_eq "an empty directory: build succeeds" "$rc" 0
check_eq "an empty directory becomes a cache" "$(cat "$T/empty/VERSION" 2>&1)" "mvbuild-cache 1"
mvb -f "$T/r/mvbuild.yaml" --cache "$T/empty" path source:data
check_eq "the new cache opens again and holds the build" "$rc" 0

# several processes creating the same cache at once all succeed
pids=()
for i in 1 2 3 4; do "$MVBUILD" --cache "$T/racing" gc >/dev/null 2>"$T/race.$i" & pids+=($!); done
racefail=0
for p in "${pids[@]}"; do wait "$p" || racefail=$((racefail + 1)); done
check_eq "four processes creating one cache at once: all succeed" "$racefail" 0
[ "$racefail" -eq 0 ] || diag "$(cat "$T"/race.*)"

# a cache of another version is refused, untouched
mkdir -p "$T/future/tmp"
echo "mvbuild-cache 99" >"$T/future/VERSION"
echo scratch >"$T/future/tmp/x"
mvb --cache "$T/future" gc
check_eq "a cache with another VERSION: exit 2" "$rc" 2
check_contains "a cache with another VERSION: says so" "$errout" "is not an mvbuild cache of this version"
check_eq "a cache with another VERSION: its scratch is kept" "$(cat "$T/future/tmp/x" 2>&1)" scratch

# symlinks inside a cache are never followed by gc
C=$T/c
mvb --cache "$C" gc
mkdir -p "$T/outside-tmp" "$T/outside-src/tree" "$T/outside-link"
echo precious >"$T/outside-tmp/a"
echo precious >"$T/outside-src/tree/b"
touch -d '30 days ago' "$T/outside-src/tree"
echo precious >"$T/outside-link/c"
rm -rf "$C/tmp"
ln -s "$T/outside-tmp" "$C/tmp"
ln -s "$T/outside-src" "$C/src"
mkdir -p "$C/kbuild"
ln -s "$T/outside-link" "$C/kbuild/old-objects"
touch -h -d '30 days ago' "$C/kbuild/old-objects"
mvb --cache "$C" gc --max-age 7
check_eq "gc with symlinked tmp/ and src/: exit 0" "$rc" 0
check_eq "gc leaves the target of a symlinked tmp/ intact" "$(cat "$T/outside-tmp/a" 2>&1)" precious
check_eq "gc leaves the target of a symlinked src/ intact" "$(cat "$T/outside-src/tree/b" 2>&1)" precious
check_eq "gc removes an old symlink in kbuild/, not what it points at" \
	"$(cat "$T/outside-link/c" 2>&1) $(test -L "$C/kbuild/old-objects" && echo link || echo gone)" \
	"precious gone"
check "the symlinked tmp/ itself is still a symlink" test -L "$C/tmp"

# a scratch tree holding a symlink to a directory outside
C2=$T/c2
mvb --cache "$C2" gc
mkdir -p "$C2/tmp/work.1/sub" "$T/outside-deep"
echo precious >"$T/outside-deep/d"
ln -s "$T/outside-deep" "$C2/tmp/work.1/sub/escape"
chmod 0555 "$C2/tmp/work.1/sub"
mvb --cache "$C2" gc
check_eq "gc removes a read-only scratch tree" "$(ls "$C2/tmp")" ""
check_eq "gc does not follow a symlink inside a scratch tree" "$(cat "$T/outside-deep/d" 2>&1)" precious

# run directories: one-run ones whose run is gone go; live and persistent ones stay
C3=$T/c3
mvb --cache "$C3" gc
mkdir -p "$C3/run/p.dead01" "$C3/run/p.live01" "$C3/run/0123456789abcdef-p"
for d in p.dead01 p.live01; do echo 4242 >"$C3/run/$d/pid"; : >"$C3/run/$d/lock"; : >"$C3/run/$d/root.ext4"; done
: >"$C3/run/0123456789abcdef-p/lock"
echo guest-data >"$C3/run/0123456789abcdef-p/root.ext4"
flock "$C3/run/p.live01/lock" sleep 60 &
holder=$!
on_exit "kill $holder 2>/dev/null"
for _ in $(seq 50); do flock -n "$C3/run/p.live01/lock" true || break; sleep 0.1; done
mvb --cache "$C3" gc
check_eq "gc: exit 0 with run directories" "$rc" 0
check "gc removes a one-run directory whose run is gone" test ! -e "$C3/run/p.dead01"
check "gc keeps a one-run directory whose run holds its lock" test -e "$C3/run/p.live01/root.ext4"
check_eq "gc keeps a persistent run directory" "$(cat "$C3/run/0123456789abcdef-p/root.ext4" 2>&1)" guest-data
check_contains "gc counts the run directory" "$out" "1 run directories"
kill "$holder" 2>/dev/null; wait "$holder" 2>/dev/null

# cache max_size in the config bounds gc when --max-size is not given
C4=$T/c4
head -c 262144 /dev/urandom >"$T/r/data.txt"
mvb -f "$T/r/mvbuild.yaml" --cache "$C4" build source:data
check_eq "a 256 KiB source is built" "$rc" 0
printf 'cache: { max_size: 64K }\n' >"$T/small.yaml"
printf 'cache: { max_size: 10G }\n' >"$T/big.yaml"
mvb --config "$T/big.yaml" --cache "$C4" gc
mvb -f "$T/r/mvbuild.yaml" --cache "$C4" path source:data
check_eq "gc under a 10G max_size keeps the entry" "$rc" 0
mvb --config "$T/small.yaml" --cache "$C4" gc --max-size 10G
mvb -f "$T/r/mvbuild.yaml" --cache "$C4" path source:data
check_eq "--max-size overrides the config's max_size" "$rc" 0
mvb --config "$T/small.yaml" --cache "$C4" gc
check_eq "gc under a 64K max_size: exit 0" "$rc" 0
mvb -f "$T/r/mvbuild.yaml" --cache "$C4" path source:data
check_eq "gc under the config's 64K max_size drops the 256 KiB entry" "$rc" 1

done_testing
