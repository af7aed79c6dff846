#!/usr/bin/env bash
# schemas/recipe-v1.schema.json agrees with mvbuild: every recipe under
# recipes/ and tests/recipes/good passes both `mvbuild check` and the
# schema (python3 jsonschema, YAML read with python3-yaml), and every bad
# fixture listed in tests/recipes/schema-checkable.txt fails both.
. "$(dirname "$0")/../lib.sh"
cd "$REPO_DIR"
if ! python3 -c 'import jsonschema, yaml' 2>/dev/null; then
	skip "schema validation" "python3-jsonschema or python3-yaml missing (make deps)"
	done_testing; exit
fi
# one python run judges every file: "FILE<TAB>valid" or "FILE<TAB>invalid: why"
bad_files=$(grep -v -e '^#' -e '^$' tests/recipes/schema-checkable.txt | sed 's|.*|tests/recipes/bad/&.yaml|')
good_files="$(ls recipes/*.yaml) $(find tests/recipes/good -name '*.yaml' | sort)"
python3 - $good_files $bad_files >"$T/verdicts" <<'PY'
import json, sys, yaml, jsonschema
schema = json.load(open("schemas/recipe-v1.schema.json"))
jsonschema.Draft202012Validator.check_schema(schema)
validator = jsonschema.Draft202012Validator(schema)
for path in sys.argv[1:]:
    try:
        doc = yaml.safe_load(open(path, "rb"))
    except yaml.YAMLError as e:
        print("%s\tinvalid: yaml: %s" % (path, str(e).splitlines()[0])); continue
    errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.path))
    print("%s\t%s" % (path, "valid" if not errors else
          "invalid: %s at %s" % (errors[0].message[:120], list(errors[0].path))))
PY
validate() { awk -F '\t' -v f="$1" '$1 == f { print $2 }' "$T/verdicts"; }

for f in $good_files; do
	mvb -f "$f" check
	check_eq "$f passes mvbuild check" "$rc" 0
	check_eq "$f passes the schema" "$(validate "$f")" "valid"
done

n=0
while read -r name; do
	case $name in ''|'#'*) continue ;; esac
	f=tests/recipes/bad/$name.yaml
	mvb -f "$f" check
	verdict=$(validate "$f")
	if [ "$rc" -eq 2 ] && [[ $verdict == invalid* ]]; then
		ok "$name: refused by mvbuild and by the schema"
	else
		nok "$name: refused by mvbuild and by the schema"
		diag "mvbuild: $rc $errout"; diag "schema: $verdict"
	fi
	n=$((n + 1))
done <tests/recipes/schema-checkable.txt
check "at least 30 schema-checkable bad fixtures ($n)" test "$n" -ge 30
done_testing
