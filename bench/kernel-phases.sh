#!/usr/bin/env bash
# How much of a kernel compile stays on the local machine under distcc:
# for a sample of the C objects of a built kernel object directory, the CPU
# time (user + sys) of preprocessing alone (gcc -E, what plain distcc runs
# locally), of the whole compile, and of objtool on the object (which kbuild
# runs locally after every compile), each from the object's own .cmd line.
# The ratios are the local fraction q of the Amdahl model in docs/scaling.md.
# Reads the object directory only; writes into a temp directory.
# Usage: bench/kernel-phases.sh CACHE/kbuild/NAME-HEX [EVERY]
#        (EVERY: sample one object in EVERY, default 25)
set -eu
obj=${1:?usage: bench/kernel-phases.sh CACHE/kbuild/NAME-HEX [EVERY]}
every=${2:-25}
T=$(mktemp -d "${TMPDIR:-/tmp}/mvbuild-bench-phases.XXXXXX")
trap 'rm -rf "$T"' EXIT
cd "$obj"

# CPU seconds of one shell command line
cpu() {
	/usr/bin/time -o "$T/t" -f '%U %S' bash -c "$1" >/dev/null 2>&1 || true
	awk '{ print $1 + $2 }' "$T/t"
}

n=0 pp=0 cc=0 ot=0
for f in $(find . -path ./tools -prune -o -name '.*.o.cmd' -print | sort | awk -v e="$every" 'NR % e == 0'); do
	line=$(sed -n 1p "$f")
	case "$line" in *" -c -o "*.c*) ;; *) continue ;; esac
	cmd=${line#*:= }
	compile=$(echo "${cmd%%;*}" | sed -E "s|-Wp,-MMD,[^ ]+||; s| -o [^ ]+\.o | -o $T/x.o |")
	pre=${compile/ -c -o $T\/x.o / -E -o \/dev\/null }
	pp=$(echo "$pp + $(cpu "$pre")" | bc)
	cc=$(echo "$cc + $(cpu "$compile")" | bc)
	if [[ $cmd == *objtool* ]]; then
		tool=$(echo "${cmd#*; }" | sed -E "s| [^ ]+\.o *$| $T/x.o|")
		ot=$(echo "$ot + $(cpu "$tool")" | bc)
	fi
	n=$((n + 1))
done
[ "$n" -gt 0 ] || { echo "no C objects with a .cmd line in '$obj'" >&2; exit 1; }
echo "objects sampled: $n (one in $every), load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "CPU s: preprocess $pp, compile $cc, objtool $ot"
echo "preprocess / compile: $(echo "scale=3; $pp / $cc" | bc)"
echo "objtool / compile:    $(echo "scale=3; $ot / $cc" | bc)"
