#!/usr/bin/env bash
# The command line: every option that `mvbuild --help`, `mvbuild COMMAND
# --help` and docs/mvbuild.1 name is accepted, and every option the tables
# hold (`mvbuild --list-options`) is documented in both; the environment
# variables the code reads are in the man page.  Then the behaviours of
# the one parser and the one command table: --x V and --x=V everywhere,
# global options after the command, "did you mean" for unknown commands,
# options, targets and profiles, help and -V, run's default profile, path
# with an OUTPUT, a failure printed once, run options blamed as options.
. "$(dirname "$0")/../lib.sh"
MAN=$REPO_DIR/docs/mvbuild.1
cd "$T"

commands=(build run fetch check explain graph path gc cache env net kernel key completion help version)

# ---- help and man page against the option tables ----------------------

mvb --list-options
check_eq "--list-options: exit 0" "$rc" 0
listed=$out
check "--list-options lists global and command options" \
	grep -qx "global --cache" <<<"$listed"
check "--list-options lists gc --max-size" grep -qx "gc --max-size" <<<"$listed"

# the option lines of a help text: "  -f, --file RECIPE   ..." -> "f|file|RECIPE"
help_options() {
	sed -nE 's/^ +(-([A-Za-z]), )?--([a-z][a-z0-9-]*)( ([^ ]+))?( {2,}.*|$)/\2|\3|\5/p'
}

# accepted CMD SHORT LONG ARG: the option parses (no "unknown option")
accepted() {
	local cmd=$1 short=$2 long=$3 arg=$4
	[ "$cmd" = global ] && cmd=help
	if [ -n "$arg" ]; then
		mvb "$cmd" "--$long=x" --help
	else
		mvb "$cmd" "--$long" --help
	fi
	if [ "$rc" -ne 0 ] && [[ $errout != *"option '--$long'"* ]]; then
		nok "$1 --$long is accepted"
		diag "$errout"
	else
		ok "$1 --$long is accepted"
	fi
	[ -z "$short" ] && return
	if [ -n "$arg" ]; then mvb "$cmd" "-${short}x" --help; else mvb "$cmd" "-$short" --help; fi
	if [ "$rc" -ne 0 ] && [[ $errout != *"option '-$short'"* ]]; then
		nok "$1 -$short is accepted"
		diag "$errout"
	else
		ok "$1 -$short is accepted"
	fi
}

mvb --help
global_help=$out
check_eq "mvbuild --help: exit 0" "$rc" 0
n=0
while IFS='|' read -r short long arg; do
	[ -n "$long" ] || continue
	accepted global "$short" "$long" "$arg"
	n=$((n + 1))
done < <(help_options <<<"$global_help")
check "mvbuild --help names at least 10 options ($n)" test "$n" -ge 10

declare -A helps=([global]=$global_help)
for c in "${commands[@]}"; do
	mvb "$c" --help
	helps[$c]=$out
	check_eq "$c --help: exit 0" "$rc" 0
	check_contains "$c --help: usage line" "$out" "usage: mvbuild $c"
	while IFS='|' read -r short long arg; do
		[ -n "$long" ] || continue
		accepted "$c" "$short" "$long" "$arg"
	done < <(help_options <<<"$out")
done

# each option of each table is in its help and in the man page
man_text=$(sed 's/\\-/-/g; s/\\f[BIRP]//g' "$MAN")
while read -r cmd opt; do
	if grep -qE -- "(^|[ ,])$opt([ =,]|$)" <<<"${helps[$cmd]:-}"; then
		ok "$cmd $opt is in its --help"
	else
		nok "$cmd $opt is in its --help"
	fi
	if grep -qE -- "(^|[^a-z-])$opt([^a-z-]|$)" <<<"$man_text"; then
		ok "$cmd $opt is in docs/mvbuild.1"
	else
		nok "$cmd $opt is in docs/mvbuild.1"
	fi
done <<<"$listed"

# each option the man page names is in some table
while read -r opt; do
	if grep -qE -- " $opt\$" <<<"$listed"; then
		ok "docs/mvbuild.1 $opt exists"
	else
		nok "docs/mvbuild.1 $opt exists"
	fi
done < <(grep -oE -- '(^|[^a-zA-Z0-9-])(--[a-z][a-z0-9-]+|-[a-zA-Z])\b' <<<"$man_text" |
	sed -E 's/^[^-]+//' | sort -u)

# the environment variables the code reads, and the sections a man page has
for v in $(grep -ohE '"MVBUILD_[A-Z_]+"|getenv\("[A-Z_]+"\)' "$REPO_DIR"/src/*/*.c |
	   grep -oE '[A-Z_]{4,}' | sort -u); do
	check "docs/mvbuild.1 documents \$$v" grep -qw -- "$v" <<<"$man_text"
done
for s in SYNOPSIS OPTIONS COMMANDS ENVIRONMENT FILES EXAMPLES "EXIT STATUS" "SEE ALSO"; do
	check "docs/mvbuild.1 has $s" grep -qx "\.SH \"\?$s\"\?" "$MAN"
done

# ---- the parser ----------------------------------------------------------

echo "hello" >"$T/hello.txt"
cat >"$T/mvbuild.yaml" <<'Y'
mvbuild: 1
name: cli
sources:
  hello: { path: hello.txt }
  kmissing: { path: missing.tar.xz }
kernels:
  tiny: { source: kmissing, base: tinyconfig }
images:
  small: { size: 32M, layers: [] }
profiles:
  default: { kernel: tiny, image: small }
  other: { kernel: tiny, image: small }
Y

mvb --remote http://127.0.0.1:1 --remote-upload --cache "$T/c1" build source:hello
check_eq "--remote URL --remote-upload build: exit 0" "$rc" 0
check_contains "--remote-upload is in effect" "$errout" "not uploading: records must be signed"
mvb build source:hello --cache "$T/c1" --remote=http://127.0.0.1:1 --remote-upload
check_eq "the same options after the command: exit 0" "$rc" 0
check_contains "--remote-upload after the command is in effect" "$errout" "not uploading"

mvb gc --max-size=1M --cache "$T/c1"
check_eq "gc --max-size=1M: exit 0" "$rc" 0
check_contains "gc --max-size=1M: ran" "$out" "gc: removed"
mvb --cache="$T/c1" gc --max-size 1M --max-age=30
check_eq "gc --max-size 1M --max-age=30, --cache=DIR: exit 0" "$rc" 0
mvb --max-size=1M --cache "$T/c1" gc
check_eq "gc's own option before the command: exit 0" "$rc" 0
mvb --max-size 1M --cache "$T/c1" build source:hello
check_eq "gc's option before another command: exit 2" "$rc" 2
check_contains "gc's option before another command: unknown to it" "$errout" \
	"mvbuild build: unknown option '--max-size'"
mvb gc --max-size=lots --cache "$T/c1"
check_eq "gc --max-size=lots: exit 2" "$rc" 2
check_contains "gc --max-size=lots: names the option" "$errout" "option '--max-size': invalid size 'lots'"

mvb check -f "$T/mvbuild.yaml" -j2 -vv --json
check_eq "global options after the command (-f, -j2, -vv, --json): exit 0" "$rc" 0
check_contains "check read the recipe given after the command (--json: its JSON result)" "$out" \
	"{\"recipe\":\"$T/mvbuild.yaml\",\"valid\":true"
mvb --file="$T/mvbuild.yaml" --jobs=1 check
check_eq "--file=R --jobs=1: exit 0" "$rc" 0
mvb -j 0 check
check_eq "-j 0: exit 2" "$rc" 2
check_contains "-j 0: names the option" "$errout" "option '-j': want a job count from 1 to 1024, not '0'"
mvb check --cache
check_eq "a value option at the end: exit 2" "$rc:$errout" \
	"2:mvbuild check: option '--cache' needs a value
usage: mvbuild check"
mvb check --json=yes
check_contains "a flag with a value is refused" "$errout" "option '--json' takes no value"

mvb --cahce "$T/c1" build
check_eq "--cahce: exit 2" "$rc" 2
check_eq "--cahce: unknown option, did you mean --cache" "$errout" \
	"mvbuild: unknown option '--cahce' (did you mean '--cache'?)"
mvb build --cahce "$T/c1"
check_contains "--cahce after the command: unknown option" "$errout" \
	"unknown option '--cahce' (did you mean '--cache'?)"
mvb gc --max-siz 1M
check_contains "gc --max-siz: did you mean --max-size" "$errout" \
	"unknown option '--max-siz' (did you mean '--max-size'?)"

mvb biuld
check_eq "unknown command: exit 2 and did you mean" "$rc:$errout" \
	"2:mvbuild: unknown command 'biuld' (did you mean 'build'?)"
mvb frobnicate
check_contains "unknown command far from any: the list" "$errout" \
	"unknown command 'frobnicate' (commands: build, run, fetch,"
mvb build imag:small
check_eq "unknown target: did you mean" "$rc:$errout" \
	"2:mvbuild: no target 'imag:small' in recipe 'mvbuild.yaml' (did you mean 'image:small'?)"
mvb build zzzzzzzz
check_contains "unknown target far from any: the list" "$errout" \
	"no target 'zzzzzzzz' in recipe 'mvbuild.yaml' (targets: source:hello,"
mvb run othre
check_eq "unknown profile: did you mean" "$rc:$errout" \
	"2:mvbuild: no profile 'othre' in recipe 'mvbuild.yaml' (did you mean 'other'?)"

mvb fetch --cache "$T/c1" helo
check_eq "unknown source: did you mean" "$rc:$errout" \
	"2:mvbuild: no source 'helo' in 'mvbuild.yaml' (did you mean 'hello'?)"
mvb --cache "$T/c1" build -- source:hello
check_eq "-- ends the options: exit 0" "$rc" 0
check_contains "-- ends the options: the target is built" "$out" "source:hello file "

mvb help
check_eq "help: exit 0 and the same text as --help" "$rc:$out" "0:$global_help"
mvb build --help
build_help=$out
mvb help build
check_eq "help build: the same as build --help" "$rc:$out" "0:$build_help"
mvb --help build
check_eq "--help build: the same as build --help" "$rc:$out" "0:$build_help"
mvb help biuld
check_eq "help biuld: exit 2, did you mean" "$rc:$errout" \
	"2:mvbuild: unknown command 'biuld' (did you mean 'build'?)"
mvb -V
check_eq "-V prints the version" "$rc:$out" "0:$("$MVBUILD" --version)"
check_contains "--version prints a version" "$out" "mvbuild "

# ---- run, path, failures -------------------------------------------------

mvb run --cache "$T/c1"
check_eq "run without PROFILE runs default: exit 1" "$rc" 1
check_contains "run without PROFILE built default's kernel source" "$errout" \
	"source:kmissing: source 'kmissing': cannot stat"
sed 's/^  default:/  first:/' "$T/mvbuild.yaml" >"$T/nodefault.yaml"
mvb -f "$T/nodefault.yaml" run --cache "$T/c1"
check_eq "run without PROFILE and no default: exit 2 and the profiles" "$rc:$errout" \
	"2:mvbuild: which profile? recipe '$T/nodefault.yaml' has no 'default' (profiles: first, other)"

mvb run other --init sbin/init --cache "$T/c1"
check_eq "a bad --init is blamed on the option" "$rc:$errout" \
	"2:mvbuild: command-line option --init: profile 'other': init must be an absolute path inside the image of at most 255 bytes, without spaces, control characters or '\"'"
mvb run other --cpus 300 --cache "$T/c1"
check_eq "a bad --cpus is blamed on the option" "$rc:$errout" \
	"2:mvbuild: command-line option --cpus: profile 'other': cpus 300 must be an integer from 1 to 255"
mvb run other --cpus=two
check_contains "--cpus=two names the option" "$errout" "option '--cpus': want a whole number above 0, not 'two'"
mvb run other --mem 2000000 --cache "$T/c1"
check_eq "a --mem out of range is blamed on the option, with the profile's limits" "$rc:$errout" \
	"2:mvbuild: command-line option --mem: profile 'other': mem 2000000 MiB must be an integer from 32 to 1048576"
# a guest given 16 MiB hangs silently (measured with the demo): refused before it starts
mvb run other --mem 16 --cache "$T/c1"
check_eq "--mem 16, where the guest would hang, is refused" "$rc" 2

mvb --cache "$T/c1" path source:hello file
check_eq "path TARGET OUTPUT: exit 0" "$rc" 0
check_eq "path TARGET OUTPUT: one line" "$(wc -l <<<"$out")" 1
check_eq "path TARGET OUTPUT: a bare path to the output" "$(cat "$out")" "hello"
bare=$out
mvb --cache "$T/c1" path source:hello
check_eq "path TARGET: 'OUTPUT PATH' lines" "$out" "file $bare"
mvb --cache "$T/c1" path source:hello flie
check_eq "path TARGET with an unknown OUTPUT: exit 2, did you mean" "$rc:$errout" \
	"2:mvbuild: source:hello has no output 'flie' (did you mean 'file'?)"

cat >"$T/bad.yaml" <<Y
mvbuild: 1
sources:
  s: { url: "file://$T/hello.txt", sha256: "$(printf '0%.0s' {1..64})" }
Y
mvb -f "$T/bad.yaml" --cache "$T/c1" build
check_eq "a failing build: exit 1" "$rc" 1
check_eq "its message is printed once" "$(grep -c "checksum mismatch" <<<"$errout")" 1
check_contains "the failed event is still shown" "$errout" "failed   source:s"
mvb -f "$T/bad.yaml" --cache "$T/c1" --json build
check_contains "with --json the failed event carries the message" "$errout" \
	'"event":"failed","node":"source:s"'
check_eq "with --json the message is in the event and the final line" \
	"$(grep -c "checksum mismatch" <<<"$errout")" 2

mvb key generate --output="$T/k1"
check_eq "key generate --output=P: exit 0" "$rc:$out" "0:$T/k1.key
$T/k1.pub"
mvb key generate -o "$T/k2"
check "key generate -o P wrote P.key" test -f "$T/k2.key"
mvb -o "$T/k3" key generate
check "-o P key generate (before the command) wrote P.key" test -f "$T/k3.key"

done_testing
