#!/usr/bin/env bash
# Recipe loading time through the real command: `mvbuild check` on
# recipes/demo.yaml and on a hostile but valid 1 MiB recipe (18,000 sources
# and 18,000 kernels), next to PyYAML's C loader parsing the same file (the
# YAML alone, no checks) as the reference.  Median of N runs, in ms.
# (The unit test only checks that both load; budgets live here, not in tests.)
# Usage: bench/recipe.sh [N]   (default 21)
set -eu
cd "$(dirname "$0")/.."
n=${1:-21}
mv=./mvbuild
[ -x "$mv" ] || make -s mvbuild
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python3 - "$tmp/big.yaml" <<'PY'
import sys
n = 18000
with open(sys.argv[1], "w") as f:
    f.write("mvbuild: 1\nname: big\nsources:\n")
    for i in range(n): f.write("  s%d: {path: x}\n" % i)
    f.write("kernels:\n")
    for i in range(n): f.write("  k%d: {source: s%d}\n" % (i, n - 1 - i))
PY
: >"$tmp/x"
. bench/lib.sh # (the script has cd to the top of the repo)
pyload='import sys, yaml; yaml.load(open(sys.argv[1]), Loader=yaml.CSafeLoader)'
printf '%-28s %14s %22s\n' recipe "mvbuild check" "python3 yaml (C) load"
for r in recipes/demo.yaml "$tmp/big.yaml"; do
	a=$(median_ms "$n" "$mv" -f "$r" --cache "$tmp/cache" check)
	b=$(median_ms "$n" python3 -c "$pyload" "$r")
	printf '%-28s %11s ms %19s ms\n' "$(basename "$r")" "$a" "$b"
done
