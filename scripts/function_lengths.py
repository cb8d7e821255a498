#!/usr/bin/python3
"""Lists the longest function bodies in src/ (lines from the opening line to the closing brace),
for the rule "no function over a screen" (STYLE.md). Reads a build's compile_commands.json, so
it sees the code as the compiler does; needs Debian's python3-clang-14.

  /usr/bin/python3 scripts/function_lengths.py BUILD_DIR [--top N] [--over LINES]
"""
import argparse
import json
import os
import sys

import clang.cindex as ci

KINDS = {
    ci.CursorKind.FUNCTION_DECL, ci.CursorKind.CXX_METHOD, ci.CursorKind.CONSTRUCTOR,
    ci.CursorKind.DESTRUCTOR, ci.CursorKind.FUNCTION_TEMPLATE, ci.CursorKind.LAMBDA_EXPR,
    ci.CursorKind.CONVERSION_FUNCTION,
}


def walk(cursor, src_root, found, parent_name):
    for child in cursor.get_children():
        loc = child.location
        if loc.file is None or not os.path.realpath(loc.file.name).startswith(src_root):
            continue
        name = parent_name
        if child.kind in KINDS and (child.kind == ci.CursorKind.LAMBDA_EXPR or
                                    child.is_definition()):
            start, end = child.extent.start, child.extent.end
            name = child.spelling or "lambda in " + parent_name
            if child.semantic_parent is not None and child.kind != ci.CursorKind.LAMBDA_EXPR:
                name = (child.semantic_parent.spelling + "::" + name).lstrip(":")
            key = (os.path.relpath(os.path.realpath(loc.file.name)), loc.line)
            found[key] = (end.line - start.line + 1, name)
        walk(child, src_root, found, name)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("build")
    parser.add_argument("--top", type=int, default=20)
    parser.add_argument("--over", type=int, default=0)
    args = parser.parse_args()
    ci.Config.set_library_file("/usr/lib/llvm-14/lib/libclang-14.so.1")
    src_root = os.path.realpath("src")
    with open(os.path.join(args.build, "compile_commands.json")) as f:
        commands = [c for c in json.load(f)
                    if os.path.realpath(c["file"]).startswith(src_root + os.sep)]
    index = ci.Index.create()
    found = {}
    for command in commands:
        # Includes, defines and the standard are all the parse needs.
        keep = [a for a in command["command"].split()
                if a.startswith(("-I", "-D", "-std", "-isystem"))]
        tu = index.parse(command["file"], args=keep + ["-x", "c++"])
        walk(tu.cursor, src_root, found, "")
    rows = sorted(((n, f"{path}:{line}", name) for (path, line), (n, name) in found.items()),
                  reverse=True)
    if args.over:
        rows = [r for r in rows if r[0] > args.over]
    else:
        rows = rows[:args.top]
    for n, where, name in rows:
        print(f"{n:5d}  {where}  {name}")


if __name__ == "__main__":
    sys.exit(main())
