#!/usr/bin/env bash
# The house rules of src/ (docs/architecture.md, "Layers"), checked by
# tests/house/layers.py: the real tree keeps them, and a copy of the tree with
# one break of each kind is caught, with the file and the rule named.
. "$(dirname "$0")/../lib.sh"

layers=$REPO_DIR/tests/house/layers.py

out=$(python3 "$layers" "$REPO_DIR" 2>&1); rc=$?
check_eq "the tree keeps every house rule" "$rc" 0
[ "$rc" = 0 ] || diag "$out"
check_contains "the check counts what it read" "$out" "in 10 folders, 0 rules broken"

# A copy of the tree, broken once per rule.
mkdir -p "$T/r/docs"
cp -r "$REPO_DIR/src" "$T/r/src"
cp "$REPO_DIR/docs/architecture.md" "$T/r/docs/"
echo '#include "cmd/cli.h"' >>"$T/r/src/base/hash.c"
echo '#include "cache/cache.h"' >>"$T/r/src/launch/launch_spec.c"
echo '#include "image/image.h"' >>"$T/r/src/fetch/fetch.c"
echo '#include "base/json.h"' >>"$T/r/src/base/hash.h"
echo '#include "base/hash.h"' >>"$T/r/src/base/json.h"
echo 'int hash_thing(void); int not_mine(void);' >>"$T/r/src/base/hash.h"
echo '#include "util.h"' >>"$T/r/src/base/error.c"
for i in $(seq 1 701); do echo "/* $i */"; done >>"$T/r/src/base/suggest.c"
for i in $(seq 1 161); do echo "/* $i */"; done >>"$T/r/src/cmd/cmd_path.c"
mkdir "$T/r/src/extra" && echo 'int x;' >"$T/r/src/extra/x.c"
touch "$T/r/src/stray.c"

out=$(python3 "$layers" "$T/r" 2>&1); rc=$?
check_eq "a broken tree fails the check" "$rc" 1
check_contains "base/ may include nothing" "$out" 'layer: src/base/hash.c: includes "cmd/cli.h" (base/ may include: nothing)'
check_contains "launch/ never includes cache/" "$out" 'layer: src/launch/launch_spec.c: includes "cache/cache.h"'
check_contains "a lower folder never includes a higher one" "$out" 'layer: src/fetch/fetch.c: includes "image/image.h"'
check_contains "a circle is named" "$out" 'circle: base/hash -> base/json -> base/hash'
check_contains "a function without its header's prefix" "$out" 'prefix: src/base/hash.h: declares not_mine() (expected hash_*)'
check_contains "an include names its folder" "$out" 'layer: src/base/error.c: include "util.h" does not name its folder'
check_contains "no file over 700 lines" "$out" 'size: src/base/suggest.c:'
check_contains "a command file is at most 160 lines" "$out" 'size: src/cmd/cmd_path.c:'
check_contains "a folder without a row" "$out" "folder 'extra/' has no row in docs/architecture.md"
check_contains "a file outside every folder" "$out" 'layer: src/stray.c: a file outside every layer folder'

# The rules are read from the document: without them the check refuses to guess.
sed -i '/layers:begin/d' "$T/r/docs/architecture.md"
out=$(python3 "$layers" "$T/r" 2>&1); rc=$?
check_eq "missing rules: exit 1 with a message" "$rc" 1
check_contains "missing rules are named" "$out" "has no <!-- layers:begin --> section"

done_testing
