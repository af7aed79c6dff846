#!/usr/bin/env bash
# A no-op build pays only for what it uses (issue 16, goal 4): libcrypto,
# libarchive, libcurl and libsquashfs are not linked (`ldd`), and a build of
# the demo recipe whose every target is cached loads none of them
# (LD_DEBUG=files): its digests are of short texts (base/sha256_builtin.c).
# With libcrypto hidden (a private mount namespace) the no-op still works and
# a command that must hash a file stops with a message naming the library.
# A build that hashes a file does load libcrypto, on first use, and its
# digests are the ones the content digest's definition gives.
. "$(dirname "$0")/../lib.sh"

cache=$(demo_cache)
recipe=$REPO_DIR/recipes/demo.yaml
lazy='lib(crypto|archive|curl|squashfs)\.so'

linked=$(ldd "$MVBUILD" | grep -oE "$lazy[^ ]*" | sort -u | tr '\n' ' ')
check_eq "libcrypto, libarchive, libcurl and libsquashfs are not linked (ldd)" "$linked" ""

# every target of the demo (minutes when the suite's cache lacks its kernel)
mvb -f "$recipe" --cache "$cache" build
must_succeed "the demo recipe builds"
# outputs written less than 2 s ago are re-hashed once (the memo's racy rule)
sleep 2.1
mvb -f "$recipe" --cache "$cache" build
must_succeed "a second build succeeds"

LD_DEBUG=files "$MVBUILD" -f "$recipe" --cache "$cache" build >/dev/null 2>"$T/noop.log"
check_eq "the no-op build succeeds under LD_DEBUG" "$?" 0
targets=$(grep -cE '^(cached|built) ' "$T/noop.log")
cached=$(grep -cE '^cached ' "$T/noop.log")
check "it builds nothing: every target ($targets) cached" test "$targets" -gt 5 -a "$cached" = "$targets"
loaded=$(grep -oE "file=$lazy[^ ]* .*dynamically loaded" "$T/noop.log" | sort -u)
check_eq "the no-op loads none of the lazily loaded libraries" "$loaded" ""

# Without libcrypto (its file hidden in a private mount namespace): the no-op
# still works, and a command that must hash a file stops, naming the library
crypto=$(readlink -f "$(ldconfig -p | awk '$1 == "libcrypto.so.3" && /x86-64/ {print $NF; exit}')")
if [ -f "$crypto" ] && unshare -m true 2>/dev/null; then
	unshare -m bash -c 'mount --bind /dev/null "$1" || exit 9
		"$MVBUILD" -f "$2" --cache "$3" build >/dev/null 2>"$4/hidden-noop.err"; echo "noop $?"
		"$MVBUILD" -f "$2" --cache "$3" cache verify >/dev/null 2>"$4/hidden-verify.err"; echo "verify $?"' \
		_ "$crypto" "$recipe" "$cache" "$T" >"$T/hidden.out"
	check_eq "libcrypto hidden: the no-op still succeeds, and cache verify fails" \
		"$(tr '\n' ' ' <"$T/hidden.out")" "noop 0 verify 1 "
	check_contains "cache verify names the library and its package" "$(cat "$T/hidden-verify.err")" \
		"mvbuild: cannot load 'libcrypto.so.3'"
else
	skip "libcrypto hidden: the no-op still succeeds" "no mount namespace here (unshare -m needs root)"
	skip "cache verify names the library" "no mount namespace here"
fi

# a build that hashes a file loads libcrypto on first use, and hashes right
small_image_recipe "$T/small"
LD_DEBUG=files "$MVBUILD" -f "$T/small/mvbuild.yaml" --cache "$T/c" build >/dev/null 2>"$T/cold.log"
check_eq "a cold build of a small image succeeds" "$?" 0
check "it loaded libcrypto on first use" grep -qE 'file=libcrypto\.so\.3 .*dynamically loaded' "$T/cold.log"
mvb -f "$T/small/mvbuild.yaml" --cache "$T/c" cache verify
must_succeed "cache verify finds every blob matching its digest"
img=$("$MVBUILD" -f "$T/small/mvbuild.yaml" --cache "$T/c" path image:small | awk '$1 == "rootfs.ext4" {print $2}')
# (cas/sha256/AB/CDEF...: the digest is the folder's two digits and the name)
check_eq "the image's name is its content digest (tests/content_digest.py)" \
	"$(basename "$(dirname "$img")")$(basename "$img")" "$(python3 "$TESTS_DIR/content_digest.py" "$img")"
done_testing
