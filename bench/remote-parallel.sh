#!/usr/bin/env bash
# Remote transfers in parallel (issue 16, goal 3): the real ./mvbuild against
# a remote on 127.0.0.1 that answers every request (GET, HEAD and PUT) after
# DELAY seconds (tests/remote/slow_server.py --delay-all), with 8 cached
# images of a recipe written here (each a 32 MiB ext4 image of the busybox
# rootfs plus i x 512 KiB of random data, i = 1..8: 2.5 to 6 MiB of data).
#   upload: `mvbuild build` of all 8 from a cache that holds them, uploading
#           to an empty remote, against the same for the slowest (largest,
#           img8) alone;
#   fetch:  `mvbuild build` of all 8 into an empty cache from a remote that
#           holds them, against the same for img8 alone.
# The two sides of each pair run back to back, in alternating order, RUNS
# times; each time is the wall clock of the mvbuild process alone (python3's
# perf_counter; clearing the remote or the cache between runs is not
# counted), and the table gives the medians and their ratio.  Every run is
# checked: the expected number of "uploaded" or "fetched" events, nothing
# built by a reader.
# Usage: bench/remote-parallel.sh [RUNS]   (default 5)
#        DELAY=0.1 (seconds per request), JOBS=N (passes -j N; default: none,
#        the command's own default)
set -eu
cd "$(dirname "$0")/.."
top=$PWD
mv=$top/mvbuild
runs=${1:-5}
delay=${DELAY:-0.1}
N=8
[ -x "$mv" ] || make -s mvbuild
make -s recipes/rootfs/busybox-rootfs.tar.gz
T=$(mktemp -d "${TMPDIR:-/tmp}/mvbuild-bench-rpar.XXXXXX")
srv_pid=
trap '[ -z "$srv_pid" ] || kill "$srv_pid" 2>/dev/null; rm -rf "$T"' EXIT

mkdir -p "$T/r" "$T/srv"
cp recipes/rootfs/busybox-rootfs.tar.gz "$T/r/rootfs.tar.gz"
{
	printf 'mvbuild: 1\nname: remote-parallel-bench\n'
	printf 'sources:\n  rootfs: { path: rootfs.tar.gz }\nimages:\n'
	for i in $(seq $N); do
		head -c $((i * 512 * 1024)) /dev/urandom >"$T/r/data$i.bin"
		printf '  img%d:\n    size: 32M\n    epoch: 1700000000\n    layers: [rootfs]\n' "$i"
		printf '    overlays:\n      - { file: data%d.bin, to: /data.bin }\n' "$i"
		printf '      - { content: "img%d\\n", to: /etc/hostname }\n' "$i"
	done
} >"$T/r/mvbuild.yaml"

python3 tests/remote/slow_server.py --root "$T/srv" --delay "$delay" --delay-all \
	>"$T/port" &
srv_pid=$!
for _ in $(seq 100); do [ -s "$T/port" ] && break; sleep 0.1; done
url=http://127.0.0.1:$(cat "$T/port")/cache
"$mv" key generate --output "$T/ci" >/dev/null 2>&1
cat >"$T/ci.yaml" <<Y
remote: { url: $url, upload: true, signing_key: $T/ci.key }
Y
cat >"$T/reader.yaml" <<Y
remote: { url: $url, trusted_keys: [$T/ci.pub] }
Y

echo "building the $N images locally (once)..." >&2
(cd "$T/r" && "$mv" --cache "$T/local" build >/dev/null 2>&1) || { echo "the local build failed" >&2; exit 1; }

cd "$T/r"
T=$T MV=$mv RUNS=$runs N=$N JOBS=${JOBS:-} DELAY=$delay python3 - <<'PY'
import os, resource, shutil, subprocess, sys, time

T, mv, runs, n = os.environ["T"], os.environ["MV"], int(os.environ["RUNS"]), int(os.environ["N"])
jobs = ["-j", os.environ["JOBS"]] if os.environ["JOBS"] else []
every = ["image:img%d" % i for i in range(1, n + 1)]
slowest = ["image:img%d" % n]

cpu = {}  # work -> CPU seconds (user + system) of each run

def cpu_now():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime

def timed(config, cache, targets):
    """wall seconds of one mvbuild build, and its events by kind"""
    cmd = [mv, "--config", config, "--cache", cache, "--json"] + jobs + ["build"] + targets
    c = cpu_now()
    t = time.perf_counter()
    p = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    secs = time.perf_counter() - t
    cpu.setdefault((config, len(targets)), []).append(cpu_now() - c)
    if p.returncode != 0:
        sys.exit("failed (%d): %s\n%s" % (p.returncode, " ".join(cmd), p.stderr))
    kinds = {}
    for line in p.stderr.splitlines():
        if '"event":"' in line:
            k = line.split('"event":"')[1].split('"')[0]
            kinds[k] = kinds.get(k, 0) + 1
    return secs, kinds

def expect(what, kinds, kind, count):
    if kinds.get(kind, 0) != count or kinds.get("built", 0):
        sys.exit("%s: expected %d %s, none built; got %s" % (what, count, kind, kinds))

def upload(targets):
    shutil.rmtree(T + "/srv/cache", ignore_errors=True)
    secs, kinds = timed(T + "/ci.yaml", T + "/local", targets)
    expect("upload", kinds, "uploaded", len(targets))
    return secs

def fetch(targets):
    shutil.rmtree(T + "/fetch", ignore_errors=True)
    secs, kinds = timed(T + "/reader.yaml", T + "/fetch", targets)
    expect("fetch", kinds, "fetched", len(targets))
    return secs

def pair(work):
    """RUNS times each, alternating which goes first; the lists of seconds"""
    a, b = [], []
    for r in range(runs):
        if r % 2:
            b.append(work(slowest)); a.append(work(every))
        else:
            a.append(work(every)); b.append(work(slowest))
    return a, b

def median(xs):
    return sorted(xs)[len(xs) // 2]

load = os.getloadavg()[0]
up = pair(upload)      # ends with the remote holding all n
upload(every)
cpu[(T + "/ci.yaml", n)].pop()  # not a measured run
down = pair(fetch)
print("remote on 127.0.0.1 answering every request after %s s; %s; median of %d; "
      "%d cores, load average %.1f before, %.1f after" %
      (os.environ["DELAY"], "-j " + os.environ["JOBS"] if jobs else "default -j", runs,
       os.cpu_count(), load, os.getloadavg()[0]))
print()
print("| work | mvbuild | reference (img%d alone) | ratio |" % n)
print("|---|---|---|---|")
for name, (a, b) in (("upload all %d images to an empty remote" % n, up),
                     ("fetch all %d images into an empty cache" % n, down)):
    print("| %s | %.2f s | %.2f s | %.2f× |" % (name, median(a), median(b), median(a) / median(b)))
print()
for name, (a, b), config in (("upload", up, "ci"), ("fetch", down, "reader")):
    print("%s runs, s (all / alone): %s" % (name, "  ".join("%.2f/%.2f" % x for x in zip(a, b))))
    c = [cpu[(T + "/%s.yaml" % config, k)] for k in (n, 1)]
    print("%s CPU (user + system), median: all %.2f s, alone %.2f s" %
          (name, median(c[0]), median(c[1])))
PY
