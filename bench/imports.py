"""The architecture drawn from the imports: rooms, arrows between them, arrows back up, circles.

    python bench/imports.py [--root CHECKOUT] [--json]

A room is a package directory under index/, qa/ or ui/ (``index/store``), or a module file
that sits directly in one of those three (``qa/cli.py``): what a reader of the tree sees as
one place. An arrow is "some module of room A imports something of room B" (A != B), at
module level or inside a function (not under ``if TYPE_CHECKING:``: annotations only).
Back up: an arrow against ``ui -> qa -> index``.
Circles: sets of rooms that reach each other (strongly connected components of more than
one room). Modules are counted too (an arrow per importing and imported module).
"""

from __future__ import annotations

import argparse
import ast
import json
from collections import defaultdict
from pathlib import Path

TOPS = ("index", "qa", "ui")
LAYER = {"ui": 2, "qa": 1, "index": 0}


def modules(root: Path) -> dict[str, Path]:
    found = {}
    for top in TOPS:
        for path in (root / top).rglob("*.py"):
            found[".".join(path.relative_to(root).with_suffix("").parts).removesuffix(".__init__")] = path
    return found


def room(module: str, known: dict[str, Path], root: Path) -> str:
    parts = module.split(".")
    if len(parts) == 1:
        return module
    if (root.joinpath(*parts[:2]) / "__init__.py").is_file():
        return ".".join(parts[:2])  # a room of its own: index/store/...
    return ".".join(parts[:2])  # a module file directly under index/, qa/ or ui/


def edges(root: Path) -> tuple[set[tuple[str, str]], set[tuple[str, str]]]:
    known = modules(root)
    module_edges, room_edges = set(), set()
    for name, path in known.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        typing_only = {id(n) for block in ast.walk(tree) if isinstance(block, ast.If)
                       and getattr(block.test, "id", None) == "TYPE_CHECKING" for n in ast.walk(block)}
        for node in ast.walk(tree):
            if id(node) in typing_only:
                continue
            targets = []
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                targets = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            elif isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            for target in targets:
                if target.split(".")[0] not in TOPS or target not in known:
                    continue
                if target != name:
                    module_edges.add((name, target))
                a, b = room(name, known, root), room(target, known, root)
                if a != b and a.split(".")[0] in TOPS:
                    room_edges.add((a, b))
    return module_edges, room_edges


def circles(graph: set[tuple[str, str]]) -> list[list[str]]:
    """Strongly connected components of more than one node (Tarjan)."""
    out_edges = defaultdict(list)
    nodes = set()
    for a, b in graph:
        out_edges[a].append(b)
        nodes |= {a, b}
    index, low, stack, on, found, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in out_edges[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(nodes):
        if v not in index:
            visit(v)
    return found


def figures(root: Path) -> dict:
    module_edges, room_edges = edges(root)
    rooms = {room(m, {}, root) for m in modules(root)}
    back = sorted(f"{a} -> {b}" for a, b in room_edges if LAYER[a.split(".")[0]] < LAYER[b.split(".")[0]])
    return {"rooms": len(rooms), "arrows": len(room_edges), "arrows_back_up": len(back), "back_up": back,
            "circles": circles(room_edges), "modules": len(modules(root)), "module_arrows": len(module_edges),
            "module_circles": len(circles(module_edges))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--root", type=Path, default=Path(__file__).resolve().parent.parent)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    result = figures(args.root)
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print(f"{result['rooms']} rooms, {result['arrows']} arrows, {result['arrows_back_up']} back up, "
          f"{len(result['circles'])} circles; {result['modules']} modules, {result['module_arrows']} module "
          f"arrows, {result['module_circles']} module circles")
    for line in result["back_up"]:
        print("  back up:", line)
    for circle in result["circles"]:
        print("  circle:", " <-> ".join(circle))


if __name__ == "__main__":
    main()
