"""The architecture the folders show: each package's __init__ is its face (a docstring, a
sorted and complete ``__all__``), code outside a room imports the room's face only, and
imports point one way: ui -> qa -> index."""

from __future__ import annotations

import ast
import importlib
from collections import defaultdict
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TOPS = ("index", "qa", "ui")


def packages() -> list[str]:
    found = []
    for top in TOPS:
        for init in sorted((ROOT / top).rglob("__init__.py")):
            found.append(".".join(init.parent.relative_to(ROOT).parts))
    return found


def room_of(module: str) -> str:
    """``index.store.keywords`` -> ``index.store``; a top-level module is its own room."""
    parts = module.split(".")
    for size in range(len(parts) - 1, 0, -1):
        if (ROOT.joinpath(*parts[:size]) / "__init__.py").is_file() and size >= 2:
            return ".".join(parts[:size])
    return parts[0]


def imports() -> list[tuple[str, str, list[str], int]]:
    """(importing module, imported module, names, line) of every ``from X import`` in the code."""
    out = []
    for top in TOPS:
        for path in (ROOT / top).rglob("*.py"):
            module = ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.ImportFrom) and node.module and node.level == 0 \
                        and node.module.split(".")[0] in TOPS:
                    out.append((module, node.module, [a.name for a in node.names], node.lineno))
    return out


@pytest.mark.parametrize("package", packages())
def test_every_package_has_a_face(package):
    face = importlib.import_module(package)
    assert (face.__doc__ or "").strip(), f"{package}/__init__.py has no docstring saying what the room is for"
    names = getattr(face, "__all__", None)
    assert names is not None, f"{package} has no __all__"
    assert list(names) == sorted(names), f"{package}.__all__ is not sorted"
    assert len(set(names)) == len(names), f"{package}.__all__ repeats a name"
    missing = [n for n in names if not hasattr(face, n)]
    assert not missing, f"{package}.__all__ names what it does not hold: {missing}"


def test_code_outside_a_room_imports_its_face_and_the_face_is_complete():
    wanted: dict[str, set[str]] = defaultdict(set)
    around = []
    for importer, imported, names, line in imports():
        room = room_of(imported)
        if room.count(".") == 0 or room_of(importer) == room or importer == room:
            continue
        if imported != room and not importer.startswith(room + "."):
            around.append(f"{importer}:{line} imports {imported} instead of the face {room}")
        wanted[room].update(names)
    assert not around, "\n".join(around)
    for room, names in wanted.items():
        face = set(importlib.import_module(room).__all__)
        assert names <= face, f"{room}.__all__ lacks {sorted(names - face)}, which other rooms import"


def test_imports_point_one_way():
    allowed = {"ui": {"ui", "qa", "index"}, "qa": {"qa", "index"}, "index": {"index"}}
    back = [f"{importer}:{line} imports {imported}" for importer, imported, _, line in imports()
            if imported.split(".")[0] not in allowed[importer.split(".")[0]]]
    assert not back, "\n".join(back)
