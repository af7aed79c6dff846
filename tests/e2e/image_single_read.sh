#!/usr/bin/env bash
# Each source read once (issue 16, goal 2; engine_direct.c): an image whose
# layer is a checksum-less path tarball, built into an empty cache, reads the
# tarball once, hashing it as the image is written, and publishes under the
# full key; the image equals, byte for byte, one built the old way (the memo
# knowing the digest: key first, the source copied into the cache); a file
# rewritten during the build fails naming it and publishes nothing; with a
# remote configured the key comes first, as before.
. "$(dirname "$0")/../lib.sh"
cd "$T"

# the busybox rootfs plus 48 MiB of data: large enough to be read directly
# (over 1 MiB) and to take a moment to write
mkdir tree && tar -xzf "$(busybox_rootfs)" -C tree
head -c $((48 << 20)) /dev/urandom >tree/data.bin
tar --numeric-owner -C tree -cf root.tar .
size=$(stat -c %s root.tar)
cat >mvbuild.yaml <<'Y'
mvbuild: 1
name: single-read
sources:
  root: { path: root.tar }
images:
  rootfs: { size: 256M, epoch: 1700000000, layers: [root], devices: true }
Y
# the digest memo trusts a digest only when the file had not changed for 2 s
# before it was hashed (the racy rule): let the tarball settle, so the cold
# build's digest serves the next builds
sleep 2
events() { # FILE NODE: the node's events, one word each
	python3 - "$@" <<'PY'
import json, sys
for line in open(sys.argv[1]):
    try:
        e = json.loads(line)
    except ValueError:
        continue
    if e.get("node") == sys.argv[2] and "event" in e:
        print(e["event"])
PY
}
jbuild() { # CACHE EVENTS [OPTION...]: build image:rootfs with --json events into EVENTS, status in $rc
	"$MVBUILD" --cache "$1" --json "${@:3}" build image:rootfs >/dev/null 2>"$2"; rc=$?
}
image_of() { "$MVBUILD" --cache "$1" path image:rootfs | awk '$1 == "rootfs.ext4" {print $2}'; }

# ---- a cold build: the tarball opened once ----------------------------------
# (LeakSanitizer cannot run under ptrace: leaks are checked by the other builds)
if command -v strace >/dev/null; then
	ASAN_OPTIONS=${ASAN_OPTIONS:-}:detect_leaks=0 strace -f -qq -e trace=openat -o trace.log "$MVBUILD" --cache "$T/c1" --json build image:rootfs \
		>/dev/null 2>ev1.json
	rc=$?
	opens=$(grep -c '/root.tar"' trace.log)
else
	jbuild "$T/c1" ev1.json
	opens=
fi
check_eq "a cold build into an empty cache succeeds" "$rc" 0
if [ -n "$opens" ]; then
	check_eq "the tarball is opened once during the cold build (strace openat)" "$opens" 1
else
	skip "the tarball is opened once during the cold build" "strace not installed"
fi
check_eq "the image is built speculatively, the source never built (copied) on its own" \
	"$(events ev1.json image:rootfs | tr '\n' ' ')/$(events ev1.json source:root | tr '\n' ' ')" \
	"started built /"
check_eq "no copy of the tarball in the cache's CAS" \
	"$(find c1/cas -type f -size "${size}c" | wc -l)" 0

jbuild "$T/c1" ev1b.json
check_eq "the second build is a hit" "$(events ev1b.json image:rootfs | tr '\n' ' ')" "cached "
mvb --cache "$T/c1" explain image:rootfs
check_contains "explain says it is up to date (the entry is under the full key)" "$out" "up to date"
mvb --cache "$T/c1" cache verify
check_eq "cache verify passes" "$rc" 0
img1=$(image_of "$T/c1")
e2fsck -fn "$img1" >fsck.out 2>&1
check_eq "e2fsck -fn finds the image clean" "$?" 0
check_eq "the image holds the data file" \
	"$(debugfs -R 'stat /data.bin' "$img1" 2>/dev/null | awk '/Size:/ {print $NF; exit}')" \
	"$((48 << 20))"

# ---- the same image the old way: the memo knows the digest ------------------
mvb --cache "$T/c2" explain image:rootfs
jbuild "$T/c2" ev2.json
check_eq "with the memo warm (explain hashed it), the source is keyed first and copied" \
	"$(events ev2.json source:root | tr '\n' ' ')" "started built "
check "the speculative build and the memo-hit build give byte-identical images" \
	cmp -s "$img1" "$(image_of "$T/c2")"

# ---- a remote configured: the key first, as before --------------------------
if command -v strace >/dev/null; then
	ASAN_OPTIONS=${ASAN_OPTIONS:-}:detect_leaks=0 strace -f -qq -e trace=openat -o trace3.log "$MVBUILD" --cache "$T/c3" --json \
		--remote http://127.0.0.1:1 build image:rootfs >/dev/null 2>ev3.json
	rc=$?
	check "with a remote, the tarball is read for the key first, then copied (opened twice)" \
		test "$(grep -c '/root.tar"' trace3.log)" -ge 2
else
	jbuild "$T/c3" ev3.json --remote http://127.0.0.1:1
fi
check_eq "with a remote configured, the build succeeds" "$rc" 0
check_eq "with a remote configured, the source is built on its own (hash first)" \
	"$(events ev3.json source:root | tr '\n' ' ')" "started built "
check "and its image is the same bytes" cmp -s "$img1" "$(image_of "$T/c3")"

# ---- the tarball rewritten during the build ---------------------------------
# its last byte (in the tar's zero padding) is written once the build is seen started
mkfifo evpipe
(
	while IFS= read -r line; do
		echo "$line"
		case $line in *'"started"'*'image:rootfs'*)
			printf 'x' | dd of=root.tar bs=1 seek=$((size - 1)) conv=notrunc 2>/dev/null ;;
		esac
	done <evpipe >ev4.json
) &
reader=$!
"$MVBUILD" --cache "$T/c4" --json build image:rootfs >/dev/null 2>evpipe
rc=$?
wait "$reader"
check_eq "a tarball rewritten during the build fails the build" "$rc" 1
check_contains "the error names the file and says it changed" "$(cat ev4.json)" \
	"root.tar' changed during the build"
check_eq "nothing is published: no action entry" "$(find c4/ac -type f 2>/dev/null | wc -l)" 0
check_eq "nothing is published: no blob" "$(find c4/cas -type f 2>/dev/null | wc -l)" 0

done_testing
