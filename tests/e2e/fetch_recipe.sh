#!/usr/bin/env bash
# `mvbuild fetch` and `mvbuild build source:NAME` with a recipe whose
# sources live on the fault server (127.0.0.1 only): download, no second
# download, fall-through, mismatch, mirrors, import, --print-checksums.
. "$(dirname "$0")/../lib.sh"
. "$TESTS_DIR/fetch/server.sh"

mkdir -p "$T/root" "$T/r" "$T/mirror"
head -c 300000 /dev/urandom >"$T/root/data.bin"
head -c 2000000 /dev/urandom >"$T/root/big.bin"
echo "served by the mirror" >"$T/mirror/mirrored.bin"
echo "imported, never downloaded" >"$T/imported.bin"
echo "other bytes" >"$T/root/other.bin"
start_fault_server "$T/root"
sum() { "$1sum" "$2" | cut -d' ' -f1; }
d256=$(sum sha256 "$T/root/data.bin"); d512=$(sum sha512 "$T/root/data.bin")
b256=$(sum sha256 "$T/root/big.bin")
m256=$(sum sha256 "$T/mirror/mirrored.bin")
i512=$(sum sha512 "$T/imported.bin")
o256=$(sum sha256 "$T/root/other.bin")
U=$FAULT_URL
cat >"$T/r/mvbuild.yaml" <<Y
mvbuild: 1
name: fetch-test
sources:
  data: { url: "$U/files/data.bin", sha256: $d256 }
  fallthrough:
    urls: ["$U/500/big.bin", "$U/404/big.bin", "$U/files/big.bin"]
    sha256: $b256
  bad: { url: "$U/files/other.bin", sha256: $m256 }
  mirrored: { url: "http://127.0.0.1:1/dl/mirrored.bin", sha256: $m256 }
  imported: { url: "$U/files/never-asked.bin", sha512: $i512 }
  resumed: { url: "$U/drop-range/big.bin", sha256: $b256 }
Y
cd "$T/r"
C=$T/cache

mvb --cache "$C" check
must_succeed "the fetch recipe passes check"

mvb --cache "$C" fetch data
check_eq "fetch data succeeds" "$rc" 0
check_eq "fetch prints nothing on stdout" "$out" ""
mvb --cache "$C" build source:data
check_eq "build source:data succeeds" "$rc" 0
path=$(awk '{print $NF}' <<<"$out" | head -1)
check_eq "the cached file is the download" "$(sum sha256 "$path")" "$d256"
check_eq "downloaded once" "$(requests /files/data.bin)" 1
mvb --cache "$C" fetch --print-checksums data
check_eq "print-checksums of a cached source" "$out" "data sha256 $d256
data sha512 $d512"
check_eq "still downloaded only once" "$(requests /files/data.bin)" 1

mvb --cache "$C" fetch fallthrough
check_eq "500 and 404 fall through to the third URL" "$rc" 0
check_contains "the 500 is logged" "$errout" "cannot download '$U/500/big.bin': HTTP 500; trying the next URL"
check_contains "the 404 is logged" "$errout" "cannot download '$U/404/big.bin': HTTP 404; trying the next URL"
check_eq "the 500 was retried once (MVBUILD_FETCH_RETRIES=1)" "$(requests /500/big.bin)" 2

mvb --cache "$C" fetch bad
check_eq "checksum mismatch exits 1" "$rc" 1
check_contains "mismatch names URL, expected and actual" "$errout" \
	"checksum mismatch for '$U/files/other.bin': expected sha256 $m256, got $o256"
check_contains "and where the recipe defines the source" "$errout" "mvbuild.yaml:8:3: cannot fetch source 'bad': "
check_contains "and how to pin the new content" "$errout" \
	"(if the new content is the one you want, pin it: mvbuild fetch --print-checksums '$U/files/other.bin')"
check "nothing published under the wrong digest" test ! -e "$C/cas/sha256/${o256:0:2}/${o256:2}"
check_eq "no temp file left in the cache" "$(find "$C/tmp" -mindepth 1 | wc -l)" 0

mvb --cache "$C" fetch mirrored
check_eq "unreachable URL without a mirror fails" "$rc" 1
MVBUILD_MIRROR="$T/mirror" mvb --cache "$C" fetch mirrored
check_eq "MVBUILD_MIRROR (a local directory, by file name) serves it" "$rc" 0
rm -rf "$C"
cp "$T/mirror/mirrored.bin" "$T/root/$m256"
mvb --cache "$C" --mirror "$U/files" fetch mirrored
check_eq "--mirror (HTTP, by digest) serves it" "$rc" 0
check_eq "asked by digest, not by name" "$(requests "/files/$m256"):$(requests /files/mirrored.bin)" "1:0"

mvb --cache "$C" cache import "$T/imported.bin"
check_eq "cache import" "$rc" 0
mvb --cache "$C" fetch imported
check_eq "an imported source is satisfied" "$rc" 0
check_eq "without any request" "$(requests never-asked)" 0

mvb --cache "$C" --json fetch resumed
check_eq "an interrupted download resumes" "$rc" 0
check_contains "the resume is a JSON note" "$errout" '"event":"note","node":"source:resumed"'
check_eq "the second request asked for a range" "$(grep -c "drop-range/big.bin bytes=1000000-" "$FAULT_LOG")" 1

mvb --cache "$C" fetch nosuch
check_eq "an unknown source is a usage error" "$rc" 2
check_contains "naming it" "$errout" "nosuch"

done_testing
