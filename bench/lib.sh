# Shared by the benchmarks: source it.

# median_ms N CMD...: the median wall time in ms of running CMD N times
# (python3 measures, so no fork of a timing tool is counted)
median_ms() {
	local n=$1; shift
	python3 - "$n" "$@" <<'PY'
import subprocess, sys, time
n, cmd = int(sys.argv[1]), sys.argv[2:]
times = []
for _ in range(n):
    t = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    times.append((time.perf_counter() - t) * 1000)
times.sort()
print("%.2f" % times[n // 2])
PY
}
