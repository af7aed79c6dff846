#!/usr/bin/env bash
# Every malformed recipe under tests/recipes/bad is refused by `mvbuild
# check` with exit status 2, nothing on stdout, and exactly the one-line
# message in its .expected file (file:line:column included).  Plus the
# inputs too large to commit (a recipe over 1 MiB), generated here.
. "$(dirname "$0")/../lib.sh"
cd "$REPO_DIR"

n=0
for recipe in tests/recipes/bad/*.yaml; do
	name=$(basename "$recipe" .yaml)
	expected=tests/recipes/bad/$name.expected
	if [ ! -f "$expected" ]; then
		nok "$name: has an .expected file"
		continue
	fi
	mvb -f "$recipe" check
	if [ "$rc" -eq 2 ] && [ -z "$out" ] && [ "$errout" == "$(cat "$expected")" ]; then
		ok "$name: exit 2 with the expected message"
	else
		nok "$name: exit 2 with the expected message"
		diag "status: $rc  stdout: $out"
		diag "got:  $errout"
		diag "want: $(cat "$expected")"
	fi
	n=$((n + 1))
done
check "at least 30 malformed recipes were checked ($n)" test "$n" -ge 30

# a recipe over 1 MiB is refused before it is parsed
{ echo "mvbuild: 1"; head -c 1100000 /dev/zero | tr '\0' '#'; echo; } >"$T/big.yaml"
mvb -f "$T/big.yaml" check
check_eq "a recipe over 1 MiB: exit 2" "$rc" 2
check_eq "a recipe over 1 MiB: the message" "$errout" "mvbuild: $T/big.yaml:1:1: file is larger than 1 MiB"

# exactly 1 MiB is still read
{ printf 'mvbuild: 1\n#'; head -c $((1048576 - 13)) /dev/zero | tr '\0' '#'; echo; } >"$T/limit.yaml"
mvb -f "$T/limit.yaml" check
check_eq "a recipe of exactly 1 MiB is accepted" "$rc:$(stat -c %s "$T/limit.yaml")" "0:1048576"

# a missing recipe, a directory, and a stray argument
mvb -f "$T/absent.yaml" check
check_eq "a missing recipe: exit 2 and the path" "$rc:$errout" \
	"2:mvbuild: cannot open '$T/absent.yaml': No such file or directory"
mvb -f "$T" check
check_eq "a directory as recipe: exit 2" "$rc:$errout" "2:mvbuild: '$T' is not a regular file"
mvb -f recipes/demo.yaml check extra
check_eq "check takes no arguments" "$rc" 2
check_contains "check names the stray argument" "$errout" "unexpected argument 'extra'"

# a fifo never blocks the loader
mkfifo "$T/fifo.yaml"
out=$(timeout 5 "$MVBUILD" -f "$T/fifo.yaml" check 2>&1); rc=$?
check_eq "a fifo as recipe is refused at once" "$rc:$out" "2:mvbuild: '$T/fifo.yaml' is not a regular file"
done_testing
