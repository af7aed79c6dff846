#!/usr/bin/env bash
# Bash completion: `mvbuild completion bash` is sourced into bash and its
# function is called as readline would, with COMP_WORDS/COMP_CWORD (and
# COMP_LINE for a word split at ':'); COMPREPLY must hold the commands,
# options, the recipe's targets and profiles.  `make install` installs it.
. "$(dirname "$0")/../lib.sh"

mkdir -p "$T/r"
small_image_recipe "$T/r"
cat >>"$T/r/mvbuild.yaml" <<'Y'
  other:
    size: 32M
    layers: [rootfs]
Y
mvb completion bash
check_eq "completion bash: exit 0" "$rc" 0
printf '%s\n' "$out" >"$T/mvbuild.bash"
check "the script is valid bash" bash -n "$T/mvbuild.bash"

# complete LINE: COMPREPLY for the last word of LINE (after "mvbuild "), sorted, on one line
complete_line() {
	MVBUILD_BIN=$MVBUILD SCRIPT=$T/mvbuild.bash LINE=$1 SPLIT=${2:-} bash -c '
		. "$SCRIPT"
		read -ra COMP_WORDS <<<"$MVBUILD_BIN $LINE"
		[[ -z $LINE || $LINE == *" " ]] && COMP_WORDS+=("")
		COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
		if [ -n "$SPLIT" ]; then # as readline splits "image:sm" at the colon
			COMP_WORDBREAKS=" :"
			COMP_LINE="$MVBUILD_BIN $LINE" COMP_POINT=${#COMP_LINE}
			COMP_WORDS=("${COMP_WORDS[@]:0:COMP_CWORD}" "${SPLIT%%:*}" ":" "${SPLIT#*:}")
			COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
		fi
		_mvbuild
		((${#COMPREPLY[@]})) && printf "%s\n" "${COMPREPLY[@]}" | sort | tr "\n" " "'
}

check_eq "command names" "$(complete_line "bu")" "build "
check_contains "every command at the start" "$(complete_line "")" "build cache check completion env"
check_eq "global options" "$(complete_line "--ca")" "--cache "
check_eq "a command's own options" "$(complete_line "gc --max")" "--max-age --max-size "
check_contains "global options after a command" "$(complete_line "run --")" "--cpus --file"
cd "$T/r"
check_eq "build ima<TAB>: the recipe's images" "$(complete_line "build ima")" "image:other image:small "
check_eq "run <TAB>: profiles (none in this recipe)" "$(complete_line "run ")" ""
check_eq "fetch <TAB>: sources" "$(complete_line "fetch ")" "rootfs "
cd "$T"
check_eq "-f names the recipe the targets come from" \
	"$(complete_line "-f $T/r/mvbuild.yaml build image:s")" "image:small "
check_eq "a word split at ':' completes after the colon" \
	"$(complete_line "-f $T/r/mvbuild.yaml build image:sm" image:sm)" "small "
check_eq "no recipe: no targets, no error" "$(complete_line "build ")" ""
check_eq "the value of -j is not completed" "$(complete_line "-j ")" ""

# profiles from the demo recipe
check_eq "run <TAB>: the demo's profiles" \
	"$(complete_line "-f $REPO_DIR/recipes/demo.yaml run ")" "default fc initramfs web "

mvb completion words nonsense
check_eq "an unknown kind is a usage error" "$rc" 2
mvb completion words commands
check_contains "words commands lists the table" "$out" "completion"

# `make install` (which installs this script) is tested where a plain build
# exists: tests/e2e/newcomer_fresh_machine.sh
done_testing
