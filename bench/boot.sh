#!/usr/bin/env bash
# Boot overhead of `mvbuild run`: wall time from starting the command to
# the guest's marker line on the console, median of N (default 10) boots,
# against the same qemu command typed by hand (the TCG argv of the cached
# qemu.json, on a ready copy of the image), interleaved in the same run.
# Everything is cached first, so mvbuild's part is the no-op build, the
# image copy and the supervision.  Goal: under 5% and under 20 ms.
# Usage: bench/boot.sh [N]   (env: MVBUILD, RECIPE, CACHE, PROFILE, IMAGE, MARKER)
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
n=${1:-10}
mvbuild=${MVBUILD:-$here/mvbuild}
recipe=${RECIPE:-$here/recipes/demo.yaml}
cache=${CACHE:-$here/build/test-cache}
profile=${PROFILE:-default}
image=${IMAGE:-rootfs}
marker=${MARKER:-mvbuild-demo: hello from the guest}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

"$mvbuild" -f "$recipe" --cache "$cache" build "profile:$profile" >/dev/null
qjson=$("$mvbuild" -f "$recipe" --cache "$cache" path "profile:$profile" | awk '$1 == "qemu.json" {print $2}')
img=$("$mvbuild" -f "$recipe" --cache "$cache" path "image:$image" | awk '$1 == "rootfs.ext4" {print $2}')
kernel_digest=$(python3 -c "import json; print(json.load(open('$qjson'))['kernel']['sha256'])")
kernel=$cache/cas/sha256/${kernel_digest:0:2}/${kernel_digest:2}
cp --sparse=always "$img" "$tmp/root.ext4"
python3 - "$qjson" "$kernel" "$tmp/root.ext4" >"$tmp/hand.argv" <<'P'
import json, sys
argv = json.load(open(sys.argv[1]))["argv"]["tcg"]
for a in argv:
    a = a.replace("${kernel}", sys.argv[2]).replace("${image}", sys.argv[3].replace(",", ",,"))
    print(a)
P

# time_to_marker CMD...: seconds from start to the marker line, then wait for the exit
cat >"$tmp/ttm.py" <<'P'
import os, subprocess, sys, time
marker = sys.argv[1].encode()
t0 = time.monotonic()
p = subprocess.Popen(sys.argv[2:], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                     stderr=subprocess.DEVNULL)
seen = None
buf = b""
while True:
    chunk = os.read(p.stdout.fileno(), 65536)
    if not chunk:
        break
    buf += chunk
    if seen is None and marker in buf:
        seen = time.monotonic() - t0
p.wait()
if seen is None or p.returncode != 0:
    sys.exit("no marker (status %d)" % p.returncode)
print("%.4f" % seen)
P

mapfile -t hand <"$tmp/hand.argv"
: >"$tmp/hand.t"; : >"$tmp/mv.t"
for i in $(seq 1 "$n"); do
	cp --sparse=always "$img" "$tmp/root.ext4.new" && mv "$tmp/root.ext4.new" "$tmp/root.ext4"
	python3 "$tmp/ttm.py" "$marker" "${hand[@]}" >>"$tmp/hand.t"
	python3 "$tmp/ttm.py" "$marker" "$mvbuild" -f "$recipe" --cache "$cache" run "$profile" \
		--accel tcg >>"$tmp/mv.t"
done
median() { sort -n "$1" | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
h=$(median "$tmp/hand.t"); m=$(median "$tmp/mv.t")
awk -v h="$h" -v m="$m" -v n="$n" 'BEGIN {
	printf "boot to marker, median of %d (TCG):\n", n
	printf "  qemu by hand   %7.1f ms\n", h * 1000
	printf "  mvbuild run    %7.1f ms\n", m * 1000
	printf "  overhead       %7.1f ms (%.1f%%)\n", (m - h) * 1000, (m - h) / h * 100
}'
