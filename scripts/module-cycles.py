#!/usr/bin/env python3
"""Fails when a module of a crate imports another that imports it back, directly or through others.

Between crates, Cargo already refuses a cycle; this checks inside each crate, at the level of
files (one module per file). An edge A -> B means a file of module A names an item of module B
(`use crate::b::X`, `crate::b::f()`, `super::b::X`, re-exports followed to the module that defines
the item; a `pub use` itself is not an edge). Test modules (`#[cfg(test)]`, `*_tests.rs`) are left out: a test may use what it likes.

    scripts/module-cycles.py [CRATE_SRC_DIR ...]     # default: every crates/*/src and src/
    scripts/module-cycles.py --graph crates/ppi-jobs/src   # print the edges too

Exit 0 when no crate has a cycle, 1 otherwise (each cycle is printed).
"""
import glob
import os
import re
import sys


def strip_comments_and_tests(text):
    # Drop comments and string literals (crude but enough for paths), then test modules.
    text = re.sub(r"//[^\n]*", "", text)
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    text = re.sub(r'r#*"(?:.|\n)*?"#*', '""', text)
    text = re.sub(r'"(?:\\.|[^"\\])*"', '""', text)
    m = re.search(r"#\[cfg\(test\)\]\s*(?:#\[[^\]]*\]\s*)*mod\s+\w+\s*[{;]", text)
    if m:
        text = text[: m.start()]
    return text


def module_files(src):
    """Map module path tuple -> file, following `mod x;` declarations from the crate roots."""
    mods = {}

    def visit(path, modpath, is_dir_owner):
        mods[modpath] = path
        raw = open(path, encoding="utf-8").read()
        text = strip_comments_and_tests(raw)
        base = os.path.dirname(path) if is_dir_owner else os.path.splitext(path)[0]
        for m in re.finditer(r'(#\[path\s*=\s*"([^"]+)"\]\s*)?(?:pub(?:\([^)]*\))?\s+)?mod\s+(\w+)\s*;', raw):
            name = m.group(3)
            # only declarations that survive test stripping
            if not re.search(r"mod\s+%s\s*;" % name, text):
                continue
            if m.group(2):
                child = os.path.join(os.path.dirname(path), m.group(2))
                visit(child, modpath + (name,), False)
                continue
            a = os.path.join(base, name + ".rs")
            b = os.path.join(base, name, "mod.rs")
            if os.path.exists(a):
                visit(a, modpath + (name,), False)
            elif os.path.exists(b):
                visit(b, modpath + (name,), True)

    for root in ("lib.rs", "main.rs"):
        p = os.path.join(src, root)
        if os.path.exists(p):
            visit(p, (), True)
    return mods


def expand_use_tree(tree):
    """`a::{b, c::{d, e}}` -> ['a::b', 'a::c::d', 'a::c::e'] (aliases dropped)."""
    tree = re.sub(r"\s+as\s+\w+", "", tree)
    tree = re.sub(r"\s+", "", tree)
    out = []

    def rec(prefix, s):
        depth, start, parts = 0, 0, []
        for i, ch in enumerate(s):
            if ch == "{":
                depth += 1
            elif ch == "}":
                depth -= 1
            elif ch == "," and depth == 0:
                parts.append(s[start:i])
                start = i + 1
        parts.append(s[start:])
        for p in parts:
            if not p:
                continue
            if "{" in p:
                head = p[: p.index("{")]
                inner = p[p.index("{") + 1 : p.rindex("}")]
                rec(prefix + head, inner)
            else:
                out.append(prefix + p)
    rec("", tree)
    return out


def absolute(path, modpath):
    segs = [s for s in path.split("::") if s]
    if not segs:
        return None
    if segs[0] == "crate":
        return tuple(segs[1:])
    if segs[0] == "self":
        return modpath + tuple(segs[1:])
    if segs[0] == "super":
        cur = list(modpath)
        while segs and segs[0] == "super":
            if cur:
                cur.pop()
            segs = segs[1:]
        return tuple(cur) + tuple(segs)
    return None


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    show = "--graph" in sys.argv
    roots = args or sorted(glob.glob("crates/*/src")) + (["src"] if os.path.isdir("src") else [])
    failed = False
    for src in roots:
        mods = module_files(src)
        # re-exports: (module, name) -> module that really defines it
        reexports = {}
        texts = {}
        for mp, f in mods.items():
            t = strip_comments_and_tests(open(f, encoding="utf-8").read())
            texts[mp] = t
            for m in re.finditer(r"pub(?:\([^)]*\))?\s+use\s+([^;]+);", t):
                for p in expand_use_tree(m.group(1)):
                    segs = p.split("::")
                    children = {c[-1] for c in mods if len(c) == len(mp) + 1 and c[:-1] == mp}
                    target = absolute(p, mp) or (mp + tuple(segs) if segs[0] in children else None)
                    if target:
                        reexports[(mp, segs[-1])] = target

        def resolve(path_tuple):
            # longest module prefix, then follow a re-export of the next name
            for n in range(len(path_tuple), -1, -1):
                if path_tuple[:n] in mods:
                    mp = path_tuple[:n]
                    if n < len(path_tuple) and (mp, path_tuple[n]) in reexports:
                        tgt = reexports[(mp, path_tuple[n])]
                        if tgt[:-1] != mp:
                            return resolve(tgt)
                    return mp
            return None

        edges = {mp: set() for mp in mods}
        for mp, t in texts.items():
            paths = []
            # A re-export (`pub use`) is the module's public face, not a dependency of its code.
            for m in re.finditer(r"(?<!pub )(?<!\) )\buse\s+([^;]+);", t):
                paths += expand_use_tree(m.group(1))
            paths += re.findall(r"(?<![\w:])((?:crate|super|self)(?:::\w+)+)", t)
            children = {s[-1] for s in mods if s[:-1] == mp and len(s) == len(mp) + 1}
            for p in paths:
                a = absolute(p, mp)
                if a is None:
                    head = p.split("::")[0]
                    if head in children:  # `use child::X` inside a parent
                        a = mp + tuple(p.split("::"))
                    else:
                        continue
                tgt = resolve(a)
                if tgt is not None and tgt != mp:
                    # a parent naming its own child module only through `mod` is not an import
                    edges[mp].add(tgt)
        # Tarjan's strongly connected components.
        index, low, stack, on, sccs, counter = {}, {}, [], set(), [], [0]

        def strong(v):
            index[v] = low[v] = counter[0]
            counter[0] += 1
            stack.append(v)
            on.add(v)
            for w in edges[v]:
                if w not in index:
                    strong(w)
                    low[v] = min(low[v], low[w])
                elif w in on:
                    low[v] = min(low[v], index[w])
            if low[v] == index[v]:
                comp = []
                while True:
                    w = stack.pop()
                    on.discard(w)
                    comp.append(w)
                    if w == v:
                        break
                if len(comp) > 1:
                    sccs.append(comp)

        sys.setrecursionlimit(10000)
        for v in edges:
            if v not in index:
                strong(v)
        name = lambda mp: "::".join(mp) or "<root>"
        if show:
            for v in sorted(edges):
                print(f"{src}: {name(v)} -> {', '.join(sorted(name(w) for w in edges[v]))}")
        for comp in sccs:
            failed = True
            members = sorted(name(c) for c in comp)
            print(f"{src}: modules import each other: {', '.join(members)}")
            # one concrete loop for the reader
            inside = set(comp)
            for c in comp:
                for w in edges[c]:
                    if w in inside:
                        print(f"    {name(c)} -> {name(w)}")
        if not sccs:
            print(f"{src}: {len(mods)} modules, no cycle")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
