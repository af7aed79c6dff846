#!/usr/bin/env python3
"""The house rules of src/, checked on every `make check` (tests/e2e/house.sh).

The rules are written once, in docs/architecture.md between the markers
`<!-- layers:begin -->` and `<!-- layers:end -->`: a table whose rows are
| `FOLDER/` | what it owns | `A/`, `B/` (the folders it may include) |
This script reads them from there, so the document and the check cannot drift.

Checks, each printed as one line "RULE: file: what" when broken:
  layer     a file includes only its own folder and the folders its row allows
  circle    no two modules (x.c + x.h) include each other, directly or through others
  size      no source file is over 700 lines; cmd/cmd_*.c are at most 160
  prefix    every function a header declares starts with the header's name
            (foo_bar.h declares foo_bar_*; foo_internal.h, shared by the files
            of module foo, declares foo_*), except the ground helpers of
            base/util.h and base/fileutil.h
Usage: layers.py [REPO]   (exit 1 when a rule is broken or the rules are unreadable)
"""
import os
import re
import sys

MAX_LINES = 700
MAX_CMD_LINES = 160
# base/util.h and base/fileutil.h are the ground: xmalloc, die, mkdir_p,
# read_file… are named for what they are, as in git's wrapper.h; every other
# header carries its own prefix.
PREFIX_EXEMPT = {"base/util.h", "base/fileutil.h"}


def module_of(rel):
    """'engine/engine_internal.h' and 'engine/engine.c' are one module."""
    m = rel.rsplit(".", 1)[0]
    return m[:-len("_internal")] if m.endswith("_internal") else m


def read_rules(repo):
    text = open(os.path.join(repo, "docs", "architecture.md"), encoding="utf-8").read()
    m = re.search(r"<!-- layers:begin -->(.*?)<!-- layers:end -->", text, re.S)
    if not m:
        sys.exit("layers: docs/architecture.md has no <!-- layers:begin --> section")
    rules = {}
    for line in m.group(1).splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 3 or not re.fullmatch(r"`\w+/`", cells[0]):
            continue
        folder = cells[0].strip("`/")
        rules[folder] = set(re.findall(r"`(\w+)/`", cells[2]))
    if not rules:
        sys.exit("layers: the layers table in docs/architecture.md has no rows")
    return rules


def source_files(src):
    for folder in sorted(os.listdir(src)):
        d = os.path.join(src, folder)
        if not os.path.isdir(d):
            yield folder, None
            continue
        for name in sorted(os.listdir(d)):
            if name.endswith((".c", ".h")):
                yield folder, name


INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def main():
    repo = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.dirname(
        os.path.dirname(os.path.abspath(__file__))))
    src = os.path.join(repo, "src")
    rules = read_rules(repo)
    broken = []
    modules = {}  # "folder/name" -> set of included modules
    for folder, name in source_files(src):
        if name is None:
            broken.append("layer: src/%s: a file outside every layer folder" % folder)
            continue
        rel = "%s/%s" % (folder, name)
        if folder not in rules:
            broken.append("layer: src/%s: folder '%s/' has no row in docs/architecture.md"
                          % (rel, folder))
            continue
        text = open(os.path.join(src, rel), encoding="utf-8").read()
        lines = text.count("\n")
        limit = MAX_CMD_LINES if folder == "cmd" and name.startswith("cmd_") and name.endswith(".c") else MAX_LINES
        if lines > limit:
            broken.append("size: src/%s: %d lines (at most %d)" % (rel, lines, limit))
        module = module_of(rel)
        deps = modules.setdefault(module, set())
        for inc in INCLUDE.findall(text):
            if "/" not in inc:
                broken.append("layer: src/%s: include \"%s\" does not name its folder" % (rel, inc))
                continue
            to = inc.split("/")[0]
            if to != folder and to not in rules.get(folder, ()):
                broken.append("layer: src/%s: includes \"%s\" (%s/ may include: %s)"
                              % (rel, inc, folder, ", ".join(sorted(rules[folder])) or "nothing"))
            target = module_of(inc)
            if target != module:
                deps.add(target)
        if name.endswith(".h") and rel not in PREFIX_EXEMPT:
            base = module_of(name).split("/")[-1] if name.endswith("_internal.h") else name[:-2]
            for fn in declared_functions(text):
                if not (fn == base or fn.startswith(base + "_")):
                    broken.append("prefix: src/%s: declares %s() (expected %s_*)" % (rel, fn, base))
    broken += circles(modules)
    for b in broken:
        print(b)
    print("layers: %d files in %d folders, %d rules broken"
          % (sum(1 for _ in source_files(src)), len(rules), len(broken)))
    return 1 if broken else 0


def declared_functions(header):
    """Names of the functions a header declares (prototypes at file scope)."""
    body = re.sub(r"/\*.*?\*/|//[^\n]*", "", header, flags=re.S)
    body = re.sub(r"^\s*#.*?(?<!\\)$", "", body, flags=re.M | re.S)
    names = []
    depth = 0
    statement = ""
    for ch in body:
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth == 0:
                statement = ""
            continue
        if depth:
            continue
        if ch == ";":
            m = re.search(r"(\w+)\s*\([^()]*(\([^()]*\)[^()]*)*\)\s*(__attribute__.*)?$",
                          statement.strip(), re.S)
            if m and not statement.lstrip().startswith("typedef") \
                    and not re.search(r"\(\s*\*\s*\w+\s*\)", statement):
                names.append(m.group(1))
            statement = ""
        else:
            statement += ch
    return [n for n in names if n not in ("__attribute__",)]


def circles(modules):
    """Each module circle once, as 'a -> b -> a'."""
    found, seen = [], set()
    state = {}

    def visit(m, path):
        state[m] = 1
        for d in sorted(modules.get(m, ())):
            if d not in modules:
                continue
            if state.get(d) == 1:
                cyc = path[path.index(d):] + [d]
                key = frozenset(cyc)
                if key not in seen:
                    seen.add(key)
                    found.append("circle: %s" % " -> ".join(cyc))
            elif d not in state:
                visit(d, path + [d])
        state[m] = 2

    # a module is its .c and its .h: merge what both include
    for m in sorted(modules):
        if m not in state:
            visit(m, [m])
    return found


if __name__ == "__main__":
    sys.exit(main())
