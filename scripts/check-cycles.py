#!/usr/bin/env python3
"""Check that the top-level modules of a crate import each other without cycles.

What it checks
  For each crate directory (by default `core` and `server`; others may be given on the
  command line), the graph of its top-level modules: a file `src/x.rs` or a folder `src/x/`
  is module `x` (`lib.rs` and `main.rs` are the crate root, not a module). There is an edge
  a -> b when some file in a's subtree names `crate::b`, either as a path
  (`crate::b::Thing`, `use crate::b;`) or inside a brace group (`use crate::{b, c::d}`).
  Names after `crate::` that are not modules (items of the root such as
  `crate::MAX_NAME_BYTES`) and a module's references to itself are not edges. Comments
  (`//`, `/* */`, doc comments) and string and char literals are blanked out first, so a doc
  link like [`crate::b`] makes no edge. `super::` paths are not followed. Items under
  `#[cfg(test)]` (unit-test modules, test-only helpers, and the files of a
  `#[cfg(test)] mod name;`) are left out, since the layering is about the code that ships;
  `--with-tests` counts them too.

  The script prints each crate's graph, then every strongly connected component of more
  than one module, with one file:line witness for each edge inside it and the elementary
  cycles through it (up to a cap).

Exit status
  0 when no crate has a cycle, 1 when any has (or a crate directory has no src/).

Run
  python3 scripts/check-cycles.py                 # core and server
  python3 scripts/check-cycles.py cli bindings    # any crate directories
  python3 scripts/check-cycles.py --quiet core    # cycles only, no graph
  python3 scripts/check-cycles.py --with-tests    # count #[cfg(test)] code as well
"""

import os
import re
import sys

DEFAULT_CRATES = ["core", "server"]
MAX_CYCLES_LISTED = 40


def blank_comments_and_strings(text):
    """Return `text` with comments and string/char literals replaced by spaces.

    Newlines are kept so that line numbers stay right.
    """
    out = []
    i = 0
    n = len(text)

    def blank(segment):
        return "".join("\n" if c == "\n" else " " for c in segment)

    while i < n:
        c = text[i]
        nxt = text[i + 1] if i + 1 < n else ""
        if c == "/" and nxt == "/":
            j = text.find("\n", i)
            j = n if j == -1 else j
            out.append(blank(text[i:j]))
            i = j
        elif c == "/" and nxt == "*":
            depth = 1
            j = i + 2
            while j < n and depth:
                if text.startswith("/*", j):
                    depth += 1
                    j += 2
                elif text.startswith("*/", j):
                    depth -= 1
                    j += 2
                else:
                    j += 1
            out.append(blank(text[i:j]))
            i = j
        elif c in "rb" and re.match(r'(?:br|rb|r)#*"', text[i:i + 260]) and not (
            i > 0 and (text[i - 1].isalnum() or text[i - 1] == "_")
        ):
            m = re.match(r'(?:br|rb|r)(#*)"', text[i:])
            hashes = m.group(1)
            start = i + m.end()
            end = text.find('"' + hashes, start)
            end = n if end == -1 else end + 1 + len(hashes)
            out.append(blank(text[i:end]))
            i = end
        elif c == '"':
            j = i + 1
            while j < n and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            out.append(blank(text[i:j + 1]))
            i = j + 1
        elif c == "'":
            # A char literal ('a', '\n', '\u{1F600}') or a lifetime ('a): only the former is
            # blanked.
            m = re.match(r"'(?:\\u\{[0-9a-fA-F]+\}|\\.|[^\\'\n])'", text[i:])
            if m:
                out.append(blank(m.group(0)))
                i += m.end()
            else:
                out.append(c)
                i += 1
        else:
            out.append(c)
            i += 1
    return "".join(out)


def blank_test_items(code):
    """Blank every item under `#[cfg(test)]` (a test module, a test-only function or use).

    The item runs from the attribute to the first `;` outside braces or to the brace that
    closes its body, whichever comes first.
    """
    out = list(code)
    for m in re.finditer(r"#\s*\[\s*cfg\s*\(\s*test\s*\)\s*\]", code):
        j, depth = m.end(), 0
        while j < len(code):
            ch = code[j]
            if ch == "{":
                depth += 1
            elif ch == "}":
                depth -= 1
                if depth == 0:
                    break
            elif ch == ";" and depth == 0:
                break
            j += 1
        for k in range(m.start(), min(j + 1, len(code))):
            if out[k] != "\n":
                out[k] = " "
    return "".join(out)


def split_top_level(group):
    """Split the inside of a `{...}` group at its top-level commas."""
    parts, depth, cur = [], 0, []
    for ch in group:
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
    parts.append("".join(cur))
    return [p.strip() for p in parts if p.strip()]


def crate_refs(code):
    """Yield (first path segment after `crate::`, offset) for every `crate::` path in code."""
    for m in re.finditer(r"\bcrate\s*::\s*", code):
        pos = m.end()
        if pos < len(code) and code[pos] == "{":
            depth, j = 0, pos
            while j < len(code):
                if code[j] == "{":
                    depth += 1
                elif code[j] == "}":
                    depth -= 1
                    if depth == 0:
                        break
                j += 1
            for item in split_top_level(code[pos + 1:j]):
                name = re.match(r"[A-Za-z_][A-Za-z0-9_]*", item)
                if name:
                    yield name.group(0), m.start()
        else:
            name = re.match(r"[A-Za-z_][A-Za-z0-9_]*", code[pos:])
            if name:
                yield name.group(0), m.start()


def modules_of(src):
    """Map each top-level module name to the list of its .rs files."""
    mods = {}
    for entry in sorted(os.listdir(src)):
        path = os.path.join(src, entry)
        if os.path.isfile(path) and entry.endswith(".rs"):
            name = entry[:-3]
            if name in ("lib", "main"):
                continue
            mods.setdefault(name, []).append(path)
        elif os.path.isdir(path) and entry != "bin":
            for root, _dirs, files in os.walk(path):
                for f in sorted(files):
                    if f.endswith(".rs"):
                        mods.setdefault(entry, []).append(os.path.join(root, f))
    return mods


TEST_MOD_FILE = re.compile(
    r"#\s*\[\s*cfg\s*\(\s*test\s*\)\s*\]\s*(?:#\s*\[[^\]]*\]\s*)*"
    r"(?:pub(?:\s*\([^)]*\))?\s+)?mod\s+([A-Za-z_][A-Za-z0-9_]*)\s*;"
)


def test_module_files(path, code):
    """The files of the `#[cfg(test)] mod name;` declarations in one file."""
    base, name = os.path.split(path)
    # Children of src/x.rs and src/x/y.rs live in src/x/ and src/x/y/; of mod.rs, beside it.
    child_dir = base if name == "mod.rs" else os.path.join(base, name[:-3])
    found = set()
    for m in TEST_MOD_FILE.finditer(code):
        found.add(os.path.join(child_dir, m.group(1) + ".rs"))
        nested = os.path.join(child_dir, m.group(1))
        for root, _dirs, files in os.walk(nested):
            found.update(os.path.join(root, f) for f in files if f.endswith(".rs"))
    return found


def build_graph(src, with_tests):
    mods = modules_of(src)
    edges = {m: {} for m in mods}  # a -> {b: "file:line"}
    codes = {}
    for files in mods.values():
        for path in files:
            with open(path, encoding="utf-8") as fh:
                codes[path] = blank_comments_and_strings(fh.read())
    test_files = set()
    if not with_tests:
        for path, code in codes.items():
            test_files |= test_module_files(path, code)
    for a, files in mods.items():
        for path in sorted(files):
            if path in test_files:
                continue
            code = codes[path]
            if not with_tests:
                code = blank_test_items(code)
            for name, offset in crate_refs(code):
                if name == a or name not in mods:
                    continue
                line = code.count("\n", 0, offset) + 1
                edges[a].setdefault(name, f"{path}:{line}")
    return edges


def tarjan(edges):
    index, low, on_stack, stack, sccs = {}, {}, set(), [], []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in sorted(edges[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            sccs.append(sorted(comp))

    sys.setrecursionlimit(10000)
    for v in sorted(edges):
        if v not in index:
            visit(v)
    return sccs


def elementary_cycles(edges, comp, cap):
    """Elementary cycles inside one component, each starting at its smallest module."""
    members = set(comp)
    cycles = []
    for start in sorted(comp):
        def dfs(v, path, seen):
            if len(cycles) >= cap:
                return
            for w in sorted(edges[v]):
                if w not in members or w < start:
                    continue
                if w == start:
                    cycles.append(path + [start])
                elif w not in seen:
                    seen.add(w)
                    dfs(w, path + [w], seen)
                    seen.discard(w)

        dfs(start, [start], {start})
    return cycles


def check(crate, quiet, with_tests):
    src = os.path.join(crate, "src")
    if not os.path.isdir(src):
        print(f"{crate}: no src/ directory")
        return False
    edges = build_graph(src, with_tests)
    if not quiet:
        print(f"{crate}: module graph ({len(edges)} modules)")
        for a in sorted(edges):
            targets = ", ".join(sorted(edges[a])) or "-"
            print(f"  {a} -> {targets}")
    cyclic = [c for c in tarjan(edges) if len(c) > 1]
    if not cyclic:
        print(f"{crate}: no cycle")
        return True
    for comp in cyclic:
        print(f"{crate}: CYCLE among {len(comp)} modules: {', '.join(comp)}")
        for a in comp:
            for b in sorted(edges[a]):
                if b in comp:
                    print(f"    {a} -> {b}   {edges[a][b]}")
        cycles = elementary_cycles(edges, comp, MAX_CYCLES_LISTED)
        for cyc in cycles:
            print(f"    cycle: {' -> '.join(cyc)}")
        if len(cycles) >= MAX_CYCLES_LISTED:
            print(f"    (first {MAX_CYCLES_LISTED} cycles listed)")
    return False


def main(argv):
    flags = {"--quiet", "--with-tests"}
    quiet = "--quiet" in argv
    with_tests = "--with-tests" in argv
    crates = [a.rstrip("/") for a in argv if a not in flags]
    if not crates:
        root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        crates = [os.path.relpath(os.path.join(root, c)) for c in DEFAULT_CRATES]
    ok = True
    for crate in crates:
        ok = check(crate, quiet, with_tests) and ok
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
