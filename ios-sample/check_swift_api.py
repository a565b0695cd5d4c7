#!/usr/bin/env python3
"""Checks the iOS sample's calls into the generated Swift bindings without a Swift compiler.

There is no Swift toolchain on the CI machine, so this is the next best proof that the sample
still matches the bindings: every call `store.name(label: ...)` in the sample's Swift must name
a method the generated TrellisCore.swift declares on TrellisStore, with argument labels that
the declaration accepts (all required labels given, none unknown, in order); every record
initializer `Type(label: ...)` of a generated struct must use its labels; and every
`TrellisError.Case` / `.case` of a generated enum the sample switches on must exist.

    python3 check_swift_api.py <generated TrellisCore.swift> <sample dir>...
"""
import pathlib
import re
import sys


def balanced(text, start):
    """The text inside the parentheses opening at text[start] ('(')."""
    depth = 0
    for i in range(start, len(text)):
        c = text[i]
        if c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
            if depth == 0:
                return text[start + 1:i]
    raise ValueError("unbalanced parentheses")


def top_level_labels(args):
    """Labels of the arguments of a call, in order (None for an unlabeled one)."""
    labels, depth, current, in_str = [], 0, "", False
    for c in args:
        if c == '"':
            in_str = not in_str
        if not in_str:
            if c in "([{":
                depth += 1
            elif c in ")]}":
                depth -= 1
            elif c == "," and depth == 0:
                labels.append(current)
                current = ""
                continue
        current += c
    if current.strip():
        labels.append(current)
    out = []
    for a in labels:
        m = re.match(r"\s*`?(\w+)`?\s*:(?!:)", a)
        out.append(m.group(1) if m else None)
    return out


def declared_params(params):
    """(label, has_default) of each parameter of a declaration's parameter list."""
    params = re.sub(r"/\*.*?\*/", "", params, flags=re.S)
    result = []
    depth, current, parts = 0, "", []
    for c in params:
        if c in "([{<":
            depth += 1
        elif c in ")]}>":
            depth -= 1
        if c == "," and depth == 0:
            parts.append(current)
            current = ""
            continue
        current += c
    if current.strip():
        parts.append(current)
    for p in parts:
        m = re.match(r"\s*`?(\w+)`?\s*:", p)
        if m:
            result.append((m.group(1), "=" in p))
    return result


def main():
    generated = pathlib.Path(sys.argv[1]).read_text()
    sample_dirs = [pathlib.Path(p) for p in sys.argv[2:]]

    # Methods of the TrellisStore protocol (the declarations without bodies).
    proto = generated[generated.index("public protocol TrellisStoreProtocol"):]
    proto = proto[:proto.index("\n}\n")]
    methods = {}
    for m in re.finditer(r"func `?(\w+)`?\(", proto):
        methods[m.group(1)] = declared_params(balanced(proto, m.end() - 1))
    # Public memberwise initializers of generated records.
    inits = {}
    for m in re.finditer(r"public struct (\w+)[^{]*\{", generated):
        body = generated[m.end():]
        i = body.find("public init(")
        if i >= 0 and i < body.find("\n}\n"):
            inits[m.group(1)] = declared_params(balanced(body, i + len("public init")))
    # Enum cases.
    cases = {}
    for m in re.finditer(r"public\s+enum (\w+)[^{]*\{", generated):
        body = generated[m.end():]
        body = body[:body.index("\n}\n")]
        cases[m.group(1)] = set(re.findall(r"^\s*case `?(\w+)`?", body, flags=re.M))

    problems, calls = [], 0

    def check(where, name, params, labels):
        required = [l for l, d in params if not d]
        known = [l for l, _ in params]
        if None in labels:
            problems.append(f"{where}: {name}(...) has an unlabeled argument")
            return
        if any(l not in known for l in labels):
            problems.append(f"{where}: {name}({', '.join(labels)}) uses a label not in {known}")
        elif [l for l in known if l in labels] != labels:
            problems.append(f"{where}: {name}({', '.join(labels)}) labels out of order ({known})")
        missing = [l for l in required if l not in labels]
        if missing:
            problems.append(f"{where}: {name}(...) lacks {missing}")

    for path in sorted(p for d in sample_dirs for p in d.rglob("*.swift")):
        text = path.read_text()
        for m in re.finditer(r"\bstore\.`?(\w+)`?\(", text):
            calls += 1
            where = f"{path}:{text.count(chr(10), 0, m.start()) + 1}"
            name = m.group(1)
            if name not in methods:
                problems.append(f"{where}: TrellisStore has no method {name}")
                continue
            check(where, name, methods[name], top_level_labels(balanced(text, m.end() - 1)))
        for m in re.finditer(r"\b([A-Z]\w+)\(", text):
            if m.group(1) in inits:
                calls += 1
                where = f"{path}:{text.count(chr(10), 0, m.start()) + 1}"
                check(where, m.group(1), inits[m.group(1)], top_level_labels(balanced(text, m.end() - 1)))
        for m in re.finditer(r"\b(TrellisError|SyncState|FollowUpKind|FollowUpFilter|ReferralDirection|ChangeKind|OrgKind|Role)\.(\w+)", text):
            calls += 1
            if m.group(2) not in cases.get(m.group(1), set()):
                where = f"{path}:{text.count(chr(10), 0, m.start()) + 1}"
                problems.append(f"{where}: {m.group(1)} has no case {m.group(2)}")

    for p in problems:
        print(p)
    print(f"ios-sample swift api: {calls} uses checked, {len(problems)} problems")
    return 1 if problems or calls == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
