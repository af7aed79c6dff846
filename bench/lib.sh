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

# interleaved_ms N CMD_A... -- CMD_B... [-- CMD_C...]: run the commands in
# turn (A, B, C, A, B, C, ...) N times each and print each one's median wall
# time in ms, space-separated.  Alternating run by run means a change in
# machine load lands on every command alike, so their ratio holds under load.
interleaved_ms() {
	local n=$1; shift
	python3 - "$n" "$@" <<'PY'
import subprocess, sys, time
n, args = int(sys.argv[1]), sys.argv[2:]
cmds, cur = [], []
for a in args:
    if a == "--":
        cmds.append(cur); cur = []
    else:
        cur.append(a)
cmds.append(cur)
times = [[] for _ in cmds]
for _ in range(n):
    for cmd, ts in zip(cmds, times):
        t = time.perf_counter()
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        ts.append((time.perf_counter() - t) * 1000)
print(" ".join("%.2f" % sorted(ts)[n // 2] for ts in times))
PY
}
