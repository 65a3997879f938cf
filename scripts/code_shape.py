#!/usr/bin/env python3
"""Checks the code's shape limits: no file in src/ over 600 lines, no function
over 100 lines outside tests (counted from its `fn` line to its closing brace,
blank lines and comments included).

Run: python3 scripts/code_shape.py [--report] [ROOT]
Exit 1 and one line per offender when a limit is passed; --report lists the
longest functions and files either way.
"""

import re
import sys
from pathlib import Path

MAX_FILE_LINES = 600
MAX_FN_LINES = 100

FN = re.compile(r"^\s*(pub(\([^)]*\))?\s+)?((const|async|unsafe|extern\s+\"[^\"]*\")\s+)*fn\s+(\w+)")
TEST_MOD = re.compile(r"^\s*#\[cfg\(test\)\]")


def strip_code(line: str, state: dict) -> str:
    """The line without string/char literals and comments (state carries block
    comments and raw strings across lines), so braces can be counted."""
    out = []
    i = 0
    n = len(line)
    while i < n:
        if state["block"]:
            end = line.find("*/", i)
            if end < 0:
                return "".join(out)
            state["block"] = False
            i = end + 2
            continue
        if state["raw"] is not None:
            end = line.find('"' + state["raw"], i)
            if end < 0:
                return "".join(out)
            i = end + 1 + len(state["raw"])
            state["raw"] = None
            continue
        if state["str"]:
            if line[i] == "\\":
                i += 2
                continue
            if line[i] == '"':
                state["str"] = False
            i += 1
            continue
        c = line[i]
        if line.startswith("//", i):
            break
        if line.startswith("/*", i):
            state["block"] = True
            i += 2
            continue
        m = re.match(r'b?r(#*)"', line[i:])
        if m and (i == 0 or not (line[i - 1].isalnum() or line[i - 1] == "_")):
            state["raw"] = m.group(1)
            i += len(m.group(0))
            continue
        if c == '"':
            state["str"] = True
            i += 1
            continue
        if c == "'":
            # char literal ('x', '\n', '\u{..}') versus a lifetime ('a)
            m = re.match(r"'(\\.[^']*|[^'\\])'", line[i:])
            if m:
                i += len(m.group(0))
                continue
        out.append(c)
        i += 1
    return "".join(out)


def functions(path: Path):
    """(name, first line, line count, in tests) of every fn with a body."""
    lines = path.read_text(encoding="utf-8").splitlines()
    state = {"block": False, "raw": None, "str": False}
    code = [strip_code(l, state) for l in lines]
    is_test_file = path.name == "tests.rs" or "/tests/" in str(path)
    test_depth = None  # brace depth at which a #[cfg(test)] item opened
    pending_test = False
    depth = 0
    found = []
    open_fns = []  # (name, start, depth_before)
    for i, text in enumerate(code):
        if TEST_MOD.match(lines[i]):
            pending_test = True
        m = FN.match(lines[i])
        if m and not lines[i].rstrip().endswith(";"):
            open_fns.append((m.group(5), i, depth, test_depth is not None or is_test_file))
        for ch in text:
            if ch == "{":
                if pending_test and test_depth is None:
                    test_depth = depth
                    pending_test = False
                depth += 1
            elif ch == "}":
                depth -= 1
                if open_fns and depth == open_fns[-1][2]:
                    name, start, _, in_test = open_fns.pop()
                    found.append((name, start + 1, i - start + 1, in_test))
                if test_depth is not None and depth == test_depth:
                    test_depth = None
        if pending_test and text.strip().endswith(";"):
            pending_test = False  # #[cfg(test)] on a `mod tests;` or a use
        # a signature without a body (trait method) never opens a brace
        while open_fns and open_fns[-1][2] > depth:
            open_fns.pop()
    return found


def main(argv):
    report = "--report" in argv
    args = [a for a in argv if not a.startswith("--")]
    root = Path(args[0]) if args else Path(__file__).resolve().parent.parent
    problems = []
    longest = []
    files = []
    for path in sorted((root / "src").rglob("*.rs")):
        rel = path.relative_to(root)
        count = len(path.read_text(encoding="utf-8").splitlines())
        files.append((count, str(rel)))
        if count > MAX_FILE_LINES:
            problems.append(f"{rel}: {count} lines (at most {MAX_FILE_LINES}): split it along domain lines")
        for name, start, length, in_test in functions(path):
            if in_test:
                continue
            longest.append((length, f"{rel}:{start} fn {name}"))
            if length > MAX_FN_LINES:
                problems.append(
                    f"{rel}:{start}: fn {name} is {length} lines (at most {MAX_FN_LINES}): split it into named steps"
                )
    if report:
        print("longest functions:")
        for length, where in sorted(longest, reverse=True)[:15]:
            print(f"  {length:4} {where}")
        print("longest files:")
        for count, rel in sorted(files, reverse=True)[:10]:
            print(f"  {count:4} {rel}")
    for p in problems:
        print(p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
