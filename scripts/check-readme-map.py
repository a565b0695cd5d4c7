#!/usr/bin/env python3
"""Check that each crate's README.md names every Rust source file of that crate.

What it checks
  The crates are the workspace members listed in the root Cargo.toml, plus `fuzz` (a
  workspace of its own). For each crate directory, every `.rs` file under it (src/, tests/,
  benches/, examples/, fuzz_targets/, and any at the crate's top such as a bin's source;
  build output under target/ and folders that are crates of their own are skipped) must be
  named in that crate's README.md by its path relative to the crate directory:
  `src/store/write.rs`, `tests/stories.rs`. The rule is exact:
    - the path must appear whole, as written (in backticks, a link or plain text);
    - it must not be the tail of a longer path (`core/src/lib.rs` in the core README does
      not count for `src/lib.rs`: write it relative to the crate);
    - a folder (`src/interop/`) does not count for the files in it: each file is listed.
  A crate directory without a README.md fails with all its files missing.

Exit status
  0 when every README maps every file, 1 otherwise (the missing files are listed per README).

Run
  python3 scripts/check-readme-map.py              # every crate of the workspace, and fuzz
  python3 scripts/check-readme-map.py cli bench    # only these crate directories
"""

import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXTRA_CRATES = ["fuzz"]
PATH_CHARS = r"[A-Za-z0-9_./-]"


def workspace_members():
    with open(os.path.join(ROOT, "Cargo.toml"), encoding="utf-8") as fh:
        text = fh.read()
    m = re.search(r"^\s*members\s*=\s*\[(.*?)\]", text, re.S | re.M)
    if not m:
        sys.exit("check-readme-map: no `members = [...]` in Cargo.toml")
    members = re.findall(r'"([^"]+)"', m.group(1))
    return members + [c for c in EXTRA_CRATES if c not in members]


def rust_files(crate_dir):
    found = []
    for root, dirs, files in os.walk(crate_dir):
        # A folder holding a Cargo.toml of its own is another crate, checked against its own
        # README (bindings/bindgen/ inside bindings/).
        dirs[:] = sorted(
            d
            for d in dirs
            if d != "target"
            and not d.startswith(".")
            and not os.path.exists(os.path.join(root, d, "Cargo.toml"))
        )
        for f in sorted(files):
            if f.endswith(".rs"):
                found.append(os.path.relpath(os.path.join(root, f), crate_dir).replace(os.sep, "/"))
    return found


def mentioned(readme_text, rel_path):
    # Not preceded by a path character (so not the tail of a longer path), and not followed
    # by one other than a sentence's closing dot.
    pattern = r"(?<!" + PATH_CHARS + r")" + re.escape(rel_path) + r"(?![A-Za-z0-9_/-])"
    return re.search(pattern, readme_text) is not None


def check(crate):
    crate_dir = os.path.join(ROOT, crate)
    if not os.path.isdir(crate_dir):
        print(f"{crate}: no such crate directory")
        return False
    files = rust_files(crate_dir)
    readme = os.path.join(crate_dir, "README.md")
    text = ""
    if os.path.isfile(readme):
        with open(readme, encoding="utf-8") as fh:
            text = fh.read()
    missing = [f for f in files if not mentioned(text, f)]
    if not os.path.isfile(readme):
        print(f"{crate}/README.md: missing, so none of its {len(files)} .rs files is mapped")
    if missing:
        print(f"{crate}/README.md: {len(missing)} of {len(files)} .rs files not named:")
        for f in missing:
            print(f"    {f}")
        return False
    print(f"{crate}/README.md: all {len(files)} .rs files named")
    return True


def main(argv):
    crates = [a.rstrip("/") for a in argv] or workspace_members()
    ok = True
    for crate in crates:
        ok = check(crate) and ok
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
