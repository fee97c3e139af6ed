#!/usr/bin/env python3
"""Checks that every ```cpp block of the guides appears in test/unit/guide_snippets.cpp, and
README.md's in test/unit/readme_snippet.cpp, which holds nothing else.

guide_snippets.cpp compiles each block inside whatever context it needs; this script makes sure
the blocks it compiles are the ones the documentation shows. A block matches a run of
consecutive lines of the source when both are equal line by line after removing trailing
whitespace and their common leading indentation (so a block may be indented inside a function).

Usage: check_guide_snippets.py REPOSITORY_ROOT
Prints every missing block (file and line of its opening fence) and exits 1 if any is missing;
otherwise prints "N snippets checked" and exits 0.
"""

import os
import re
import sys

DOCS = ["README.md", "doc/guide.md", "doc/transports.md"]
SOURCE = "test/unit/guide_snippets.cpp"
# README's block is a whole file, so it is compiled alone, with nothing before it.
OWN_SOURCE = {"README.md": "test/unit/readme_snippet.cpp"}

OPEN_FENCE = re.compile(r"^\s*```\s*cpp\s*$")
CLOSE_FENCE = re.compile(r"^\s*```\s*$")


def read_lines(path):
    with open(path, encoding="utf-8") as f:
        return f.read().splitlines()


def extract_blocks(path):
    """Returns (line number of the opening fence, lines) for every ```cpp block of `path`."""
    blocks = []
    start = None
    body = []
    for number, line in enumerate(read_lines(path), start=1):
        if start is None:
            if OPEN_FENCE.match(line):
                start = number
                body = []
        elif CLOSE_FENCE.match(line):
            blocks.append((start, body))
            start = None
        else:
            body.append(line)
    if start is not None:
        sys.exit(f"{path}:{start}: unterminated ```cpp block")
    return blocks


def normalize(lines):
    """Strips trailing whitespace and the indentation common to all non-blank lines."""
    lines = [line.rstrip() for line in lines]
    indents = [line[: len(line) - len(line.lstrip())] for line in lines if line]
    common = os.path.commonprefix(indents) if indents else ""
    return [line[len(common):] if line else "" for line in lines]


def contains(source, block):
    """True when some run of len(block) lines of `source` normalizes to `block`."""
    wanted = normalize(block)
    if not any(wanted):
        return True
    n = len(wanted)
    first = wanted[0].strip()
    for i in range(len(source) - n + 1):
        if source[i].strip() != first:
            continue
        if normalize(source[i : i + n]) == wanted:
            return True
    return False


def main():
    if len(sys.argv) != 2:
        sys.exit(f"usage: {sys.argv[0]} REPOSITORY_ROOT")
    root = sys.argv[1]
    checked = 0
    missing = []
    for doc in DOCS:
        source_path = OWN_SOURCE.get(doc, SOURCE)
        source = read_lines(os.path.join(root, source_path))
        for start, block in extract_blocks(os.path.join(root, doc)):
            checked += 1
            if not contains(source, block):
                missing.append(f"{doc}:{start}: block not found in {source_path}")

    if checked == 0:
        print("no ```cpp blocks found in " + ", ".join(DOCS))
        return 1
    for where in missing:
        print(where)
    if missing:
        print(f"{len(missing)} of {checked} snippets missing")
        return 1
    print(f"{checked} snippets checked")
    return 0


if __name__ == "__main__":
    sys.exit(main())
