#!/usr/bin/env bash
# Build-time input integrity (issue #12, parts 2, 3 and the build half of 4):
# compressed layers are read to the end with their own integrity checks,
# a FIFO where a file is expected is refused instead of blocking, and a file
# swapped while builds run never publishes content under another key.
. "$(dirname "$0")/../lib.sh"
cd "$T"

# ---- compressed layers: integrity fields and trailing bytes -------------------
gzip -dc "$(busybox_rootfs)" >rootfs.tar
gzip -n -c rootfs.tar >l.gz
xz --check=crc64 -c rootfs.tar >l.xz
zstd -q --check -c rootfs.tar >l.zst
bzip2 -c rootfs.tar >l.bz2
# damage FMT IN OUT MODE: flip the format's integrity field (crc), or append bytes (tail)
damage() {
	python3 - "$@" <<'PY'
import struct, sys
fmt, src, dst, mode = sys.argv[1:]
b = bytearray(open(src, "rb").read())
if mode == "tail":
    b += b"trailing garbage\n"
else:
    if fmt == "gz":
        i = len(b) - 8                      # CRC32 (ISIZE follows)
    elif fmt == "gz-isize":
        i = len(b) - 4                      # ISIZE
    elif fmt == "zst":
        i = len(b) - 4                      # the frame's content checksum (zstd --check)
    elif fmt == "bz2":
        i = len(b) - 5                      # the stream CRC after the end-of-stream magic
    elif fmt == "xz":                       # the block check, just before the index
        backward = (struct.unpack("<I", b[-8:-4])[0] + 1) * 4
        i = len(b) - 12 - backward - 8
    b[i] ^= 0xFF
open(dst, "wb").write(b)
PY
}
layer_recipe() { # DIR FILE: an image whose only layer is FILE (a path source "base")
	rm -rf "$1" && mkdir -p "$1" && cp "$2" "$1/layer"
	cat >"$1/mvbuild.yaml" <<'Y'
mvbuild: 1
name: layer-check
sources:
  base: { path: layer }
images:
  img: { size: 32M, epoch: 1700000000, layers: [base] }
Y
}
for fmt in gz xz zst bz2; do
	layer_recipe "good-$fmt" "l.$fmt"
	mvb -f "good-$fmt/mvbuild.yaml" --cache "$T/c-good-$fmt" build image:img
	check_eq "an intact $fmt layer builds" "$rc" 0
done
cases="gz:crc gz-isize:crc xz:crc zst:crc bz2:crc gz:tail xz:tail zst:tail bz2:tail"
for c in $cases; do
	fmt=${c%%:*} mode=${c#*:} ext=${fmt%%-*}
	case $ext in gz) name=gzip ;; zst) name=zstd ;; bz2) name=bzip2 ;; *) name=$ext ;; esac
	damage "$fmt" "l.$ext" "bad.$ext" "$mode"
	d="bad-$fmt-$mode"
	layer_recipe "$d" "bad.$ext"
	cache="$T/c-$d"
	mvb -f "$d/mvbuild.yaml" --cache "$cache" build image:img
	check_eq "$fmt layer ($mode damaged): build fails with exit 1" "$rc" 1
	check_contains "$fmt layer ($mode damaged): the error names the source" "$errout" "layer 'base': $name:"
	# at most the (intact) source's entry was published, no image entry: a layer of
	# 1 MiB or more is read directly while the source is pending (engine_direct.c),
	# so its source has no entry either; 'mvbuild path' below finds no image
	n=$(find "$cache/ac" -type f | wc -l)
	check "$fmt layer ($mode damaged): no image entry published ($n entries)" test "$n" -le 1
	mvb -f "$d/mvbuild.yaml" --cache "$cache" path image:img
	check "$fmt layer ($mode damaged): 'mvbuild path' finds nothing" test "$rc" -ne 0
done

# ---- a FIFO where a file is expected: refused at once, never a hang ----------
mkdir fifo && mkfifo fifo/pipe
cp "$(busybox_rootfs)" fifo/rootfs.tar.gz
cat >fifo/overlay.yaml <<'Y'
mvbuild: 1
name: fifo-overlay
sources:
  base: { path: rootfs.tar.gz }
images:
  img:
    size: 32M
    epoch: 1700000000
    layers: [base]
    overlays:
      - { file: pipe, to: /etc/pipe }
Y
cat >fifo/source.yaml <<'Y'
mvbuild: 1
name: fifo-source
sources:
  p: { path: pipe }
images:
  img: { size: 32M, epoch: 1700000000, layers: [p] }
Y
cat >fifo/url.yaml <<Y
mvbuild: 1
name: fifo-url
sources:
  p: { url: "file://$T/fifo/pipe", sha256: 0000000000000000000000000000000000000000000000000000000000000000 }
images:
  img: { size: 32M, epoch: 1700000000, layers: [p] }
Y
for what in overlay source url; do
	out=$(timeout 20 "$MVBUILD" -f "fifo/$what.yaml" --cache "$T/c-fifo" build image:img 2>"$T/.stderr"); rc=$?
	errout=$(cat "$T/.stderr")
	check "a FIFO as $what file: no hang (timeout not reached)" test "$rc" -ne 124
	check "a FIFO as $what file: the build fails" test "$rc" -eq 1 -o "$rc" -eq 2
	check_contains "a FIFO as $what file: the error names the file" "$errout" "pipe"
done
out=$(timeout 20 "$MVBUILD" --cache "$T/c-fifo" cache import fifo/pipe 2>"$T/.stderr"); rc=$?
errout=$(cat "$T/.stderr")
check_eq "cache import of a FIFO: refused at once as a bad argument (exit 2)" "$rc" 2
check_contains "cache import of a FIFO: a clear error" "$errout" "'fifo/pipe' is a FIFO, not a regular file"

# ---- a file swapped while builds run ------------------------------------------
# data.bin is both a path source and an overlay file; a background loop
# replaces it atomically (a hard link renamed over it) with A or B while 30
# builds run, each into a new cache so that every one really builds.  Every
# build must succeed or fail saying the file changed; afterwards every
# published entry must hold what its key says: a source's content digest is
# its output's, and an image rebuilt in a fresh cache from the content its
# key names is byte-identical.
diag "compression and FIFO checks done ($SECONDS s)"
mkdir swap && cd swap
cp "$(busybox_rootfs)" rootfs.tar.gz
head -c 2M /dev/urandom >A
head -c 2M /dev/urandom >B
cp A data.bin
cat >mvbuild.yaml <<'Y'
mvbuild: 1
name: swap
sources:
  base: { path: rootfs.tar.gz }
  data: { path: data.bin }
images:
  img:
    size: 32M
    epoch: 1700000000
    layers: [base]
    overlays:
      - { file: data.bin, to: /data.bin }
Y
python3 - <<'PY' & swapper=$!
import os, time
deadline = time.monotonic() + 600
for i in range(1000000):                      # bounded in count and in time
    if time.monotonic() > deadline or os.path.exists("stop"):
        break
    for name in ("A", "B"):
        os.link(name, ".swap")
        os.replace(".swap", "data.bin")
        time.sleep(0.001)
PY
on_exit "kill $swapper 2>/dev/null"
unexpected=0 succeeded=0 changed=0
for i in $(seq 30); do
	timeout 120 "$MVBUILD" --cache "$T/c-swap/$i" build image:img source:data >/dev/null 2>build.err
	r=$?
	if [ "$r" -eq 0 ]; then
		succeeded=$((succeeded + 1))
	elif [ "$r" -eq 1 ] && grep -q "changed during the build" build.err; then
		changed=$((changed + 1))
	else
		unexpected=$((unexpected + 1)); diag "build $i: exit $r: $(cat build.err)"
	fi
done
touch stop; wait "$swapper"
diag "swap loop: $succeeded built, $changed refused as changed ($SECONDS s)"
check_eq "30 builds under a swapping file: each succeeds or reports the change" "$unexpected" 0

# every entry: "KIND OVERLAY_OR_CONTENT_DIGEST OUTPUT_DIGEST" (image: the overlay digest, rootfs.ext4)
python3 - "$T/c-swap" >entries <<'PY'
import os, sys
for d, _, files in os.walk(sys.argv[1]):
    if os.path.basename(os.path.dirname(d)) != "ac":
        continue
    for f in files:
        # latin-1: the record's lengths count bytes (docs/cache.md, "Action entries")
        text = open(os.path.join(d, f), encoding="latin-1").read()
        outs = {l.split()[1]: l.split()[2] for l in text.split("\n") if l.startswith("output ")}
        rec, i = {}, text.index("mvbuild-record 3\n") + len("mvbuild-record 3\n")
        while not text.startswith("seal ", i):
            fields = []
            while True:
                j = text.index(":", i)
                n = int(text[i:j])
                fields.append(text[j + 1:j + 1 + n])
                i = j + 1 + n + 1
                if text[i - 1] == "\n":
                    break
            rec[fields[0]] = fields[1]
        if rec.get("kind") == "source" and "content" in rec:
            print("source", rec["content"], outs["file"])
        elif rec.get("kind") == "image":
            print("image", rec["overlay file data.bin"].split()[1], outs["rootfs.ext4"])
PY
# overlay files and outputs are named by their content digest (docs/cache.md)
sha_a=$(python3 "$TESTS_DIR/content_digest.py" A) sha_b=$(python3 "$TESTS_DIR/content_digest.py" B)
bad=0 images=0
while read -r kind digest output; do
	if [ "$kind" = source ]; then
		[ "$digest" = "$output" ] || { bad=$((bad + 1)); diag "source keyed $digest serves $output"; }
		continue
	fi
	case $digest in
	"$sha_a") rm -f data.bin && cp A data.bin ;;   # data.bin may be a link to A or B
	"$sha_b") rm -f data.bin && cp B data.bin ;;
	*) bad=$((bad + 1)); diag "image keyed by unknown content $digest"; continue ;;
	esac
	images=$((images + 1))
	fresh="$T/c-fresh-$digest"    # one fresh cache per content: a rebuild there is a hit
	"$MVBUILD" --cache "$fresh" build image:img >/dev/null 2>&1
	got=$("$MVBUILD" --cache "$fresh" path image:img | awk '$1 == "rootfs.ext4" { print $2 }')
	got=$(python3 "$TESTS_DIR/content_digest.py" "$got")
	[ "$got" = "$output" ] || { bad=$((bad + 1)); diag "image keyed by $digest: published $output, rebuilt $got"; }
done <entries
check "the swap loop published entries ($(wc -l <entries))" test -s entries
check "an image entry among them" grep -q '^image ' entries
check_eq "every published entry serves what its key says (images rebuilt in a fresh cache)" "$bad" 0
cd "$T"

done_testing
