#!/usr/bin/env bash
# --json (docs/json.md): results on standard output and events on standard
# error are one JSON object per line, each valid against
# schemas/results-v1.schema.json or schemas/events-v1.schema.json (python3
# jsonschema), for check, build, path, explain, env, a bad recipe, a usage
# error and a failing download; the values are real (paths exist, sha256
# matches the file, the recipe error has its file, line and column).
. "$(dirname "$0")/../lib.sh"
. "$TESTS_DIR/fetch/server.sh"
if ! python3 -c 'import jsonschema' 2>/dev/null; then
	skip "json output" "python3-jsonschema missing (make deps)"
	done_testing; exit
fi
C=$T/cache
mkdir -p "$T/r"
small_image_recipe "$T/r"
echo hello >"$T/r/overlay/etc/motd"
cd "$T/r"

# validate KIND: every line of $out against the results schema's $defs/KIND,
# every line of $errout against the events schema; prints "valid" or why not
validate() {
	printf '%s\n' "$out" >"$T/out.jsonl"
	printf '%s\n' "$errout" >"$T/err.jsonl"
	python3 - "$REPO_DIR/schemas" "$1" "$T/out.jsonl" "$T/err.jsonl" <<'PY'
import json, sys, jsonschema
schemas, kind, out, err = sys.argv[1:]
results = json.load(open(schemas + "/results-v1.schema.json"))
events = json.load(open(schemas + "/events-v1.schema.json"))
for s in (results, events):
    jsonschema.Draft202012Validator.check_schema(s)
one = {"$schema": results["$schema"], "$defs": results["$defs"], "$ref": "#/$defs/" + kind}
problems = []
for path, schema in ((out, one), (err, events)):
    for n, line in enumerate(open(path), 1):
        if not line.strip():
            continue
        try:
            doc = json.loads(line)
        except ValueError as e:
            problems.append("%s:%d: not JSON: %s" % (path, n, line.strip()[:100])); continue
        for e in jsonschema.Draft202012Validator(schema).iter_errors(doc):
            problems.append("%s:%d: %s: %s" % (path, n, e.message[:120], line.strip()[:100]))
print("\n".join(problems) if problems else "valid")
PY
}
# field FIELD [LINE]: FIELD of the JSON object on line LINE (default 1) of $out
field() { python3 -c 'import json,sys; v=json.loads(sys.argv[2].splitlines()[int(sys.argv[3])-1]).get(sys.argv[1]); print(json.dumps(v) if isinstance(v,(bool,list,dict)) or v is None else v)' "$1" "$out" "${2:-1}"; }
# errfield FIELD: FIELD of the last line of $errout (the error event)
errfield() { python3 -c 'import json,sys; v=json.loads(sys.argv[2].splitlines()[-1]).get(sys.argv[1]); print("" if v is None else v)' "$1" "$errout"; }

mvb --json check
must_succeed "check --json"
check_eq "check: every line matches the schema" "$(validate check)" valid
check_eq "check: one object" "$(wc -l <<<"$out")" 1
check_eq "check: one source" "$(field sources)" 1
check_eq "check: one image" "$(field images)" 1
check_eq "check: the recipe's name" "$(field name)" small-image

mvb --cache "$C" --json build image:small
must_succeed "build --json"
check_eq "build: every line matches the schema" "$(validate output)" valid
check_contains "build: a built event on stderr" "$errout" '"event":"built","node":"image:small"'
img=$(python3 -c 'import json,sys
for l in sys.stdin:
    d = json.loads(l)
    if d["output"] == "rootfs.ext4": print(d["path"])' <<<"$out")
img_sha=$(python3 -c 'import json,sys
for l in sys.stdin:
    d = json.loads(l)
    if d["output"] == "rootfs.ext4": print(d["sha256"])' <<<"$out")
check "build: the image path exists" test -f "$img"
# "sha256" is the content digest (docs/cache.md), which names the blob, not sha256sum's
check_eq "build: sha256 is the digest naming the file's blob" "${img: -65}" "${img_sha:0:2}/${img_sha:2}"
check "build: sha256 is not the plain sha256sum of a sparse image" \
	test "$(sha256sum "$img" | cut -d' ' -f1)" != "$img_sha"
check_eq "build: every result names the target" "$(field target)" image:small

mvb --cache "$C" build image:small
check_contains "without --json build prints 'TARGET OUTPUT PATH'" "$out" "image:small rootfs.ext4 $img"
check_eq "without --json nothing is JSON" "$(grep -c '^{' <<<"$out$errout")" 0

mvb --cache "$C" --json path image:small
must_succeed "path --json"
check_eq "path: every line matches the schema" "$(validate output)" valid
check_contains "path: the image's line" "$out" "\"output\":\"rootfs.ext4\",\"path\":\"$img\",\"sha256\":\"$img_sha\""
mvb --cache "$C" --json path image:small rootfs.ext4
check_eq "path OUTPUT: one object" "$(wc -l <<<"$out")" 1
check_eq "path OUTPUT: its path" "$(field path)" "$img"
check_eq "path OUTPUT: matches the schema" "$(validate output)" valid

mvb --cache "$C" --json explain image:small
must_succeed "explain --json (up to date)"
check_eq "explain: matches the schema" "$(validate explain)" valid
check_eq "explain: up to date" "$(field up_to_date)" true
check_eq "explain: no changes" "$(field changes)" "[]"
echo changed >"$T/r/overlay/etc/motd"
mvb --cache "$C" --json explain image:small
must_succeed "explain --json (stale)"
check_eq "explain (stale): matches the schema" "$(validate explain)" valid
check_eq "explain: stale" "$(field up_to_date)" false
check_eq "explain: the one changed input, structured" "$(python3 -c 'import json,sys
d = json.loads(sys.stdin.read())
print(" ".join("%s|%s|%s" % (c["node"], c["label"], c["change"]) for c in d["changes"]))' <<<"$out")" \
	"image:small|overlay file overlay/etc/motd|changed"
check_contains "explain: the node's state" "$out" '"node":"image:small","state":"changed"'

mvb --cache "$C" --json env
must_succeed "env --json"
check_eq "env: matches the schema" "$(validate env)" valid
check_eq "env: the recipe path" "$(field recipe)" "$T/r/mvbuild.yaml"
check_contains "env: kvm_usable is a boolean" "true false" "$(field kvm_usable)"

cat >"$T/r/bad.yaml" <<'Y'
mvbuild: 1
images:
  small:
    size: 32M
    colour: blue
Y
mvb --json -f bad.yaml check
check_eq "a bad recipe: exit 2" "$rc" 2
check_eq "a bad recipe: matches the schema" "$(validate check)" valid
check_eq "a bad recipe: nothing on stdout" "$out" ""
check_eq "a bad recipe: one error event" "$(grep -c '"event":"error"' <<<"$errout")" 1
check_eq "a bad recipe: kind usage" "$(errfield kind)" usage
check_eq "a bad recipe: exit 2 in the event" "$(errfield exit)" 2
check_eq "a bad recipe: its file" "$(errfield file)" bad.yaml
check_eq "a bad recipe: its line" "$(errfield line)" 5
check_eq "a bad recipe: its column" "$(errfield column)" 5
check_contains "a bad recipe: the message" "$(errfield message)" "colour"
mvb -f bad.yaml check
check_contains "without --json the error is one plain line" "$errout" "mvbuild: bad.yaml:5:5:"

mvb --json build --no-such-option
check_eq "a usage error: exit 2" "$rc" 2
check_eq "a usage error: matches the schema" "$(validate check)" valid
check_eq "a usage error: kind usage" "$(errfield kind)" usage
check_contains "a usage error: the message" "$(errfield message)" "--no-such-option"
check_eq "a usage error: no location" "$(errfield file)" ""
mvb --json frobnicate
check_eq "an unknown command: exit 2" "$rc" 2
check_eq "an unknown command: matches the schema" "$(validate check)" valid
check_eq "an unknown command: an error event" "$(errfield kind)" usage
mvb --json path
check_eq "a missing argument: exit 2, as an event" "$rc/$(errfield kind)" 2/usage
mvb --json cache frobnicate
check_eq "a subcommand's usage error: exit 2, as an event" "$rc/$(errfield kind)" 2/usage
check_eq "a subcommand's usage error: matches the schema" "$(validate check)" valid
mvb cache frobnicate
check_contains "without --json a usage error is text with the usage line" "$errout" \
	"usage: mvbuild cache"

# a download that stalls after 10 of 1000 bytes: a progress event with its
# numbers, then the failure as the error event
mkdir -p "$T/srv"
start_fault_server "$T/srv"
cat >"$T/r/stall.yaml" <<Y
mvbuild: 1
sources:
  slow: { url: "$FAULT_URL/stall", sha256: "$(printf '0%.0s' {1..64})" }
Y
mvb --json -f stall.yaml --cache "$C" build source:slow
check_eq "a failing download: exit 1" "$rc" 1
check_eq "a failing download: matches the schema" "$(validate check)" valid
check_eq "a failing download: kind failure" "$(errfield kind)/$(errfield exit)" failure/1
progress=$(grep '"event":"progress"' <<<"$errout" | head -1)
check_contains "a progress event counts bytes" "$progress" '"unit":"bytes","done":10,"total":1000'
check_contains "a progress event has an ETA" "$progress" '"eta_seconds":'
done_testing
