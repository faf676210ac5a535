"""The architecture the folders show, checked so that it can fail.

* Each package's ``__init__`` is its face: a docstring, and an ``__all__`` that is sorted and
  equals what the face offers (every public name it binds, as httpx's
  ``tests/test_exported_members.py`` checks), none of them the name of one of its own modules
  (a function bound over a module makes ``package.name`` mean two things).
* Code outside a room imports the room's face only, top-level rooms included (``ui`` imports
  ``qa``, never ``qa.retriever``), and only names the face offers.
* A room's modules may use the modules of the rooms around it only through faces; the one
  exception is the ground floor of a top-level package (its errors, settings and reports),
  which every room inside it may import.
* Imports point one way: ui -> qa -> index.
"""

from __future__ import annotations

import ast
import importlib
from collections import defaultdict
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parent.parent
TOPS = ("index", "qa", "ui")
GROUND = {"index": {"index.errors", "index.settings", "index.reports"}, "qa": {"qa.errors", "qa.choices"},
          "ui": set()}


def packages() -> list[str]:
    found = []
    for top in TOPS:
        for init in sorted((ROOT / top).rglob("__init__.py")):
            found.append(".".join(init.parent.relative_to(ROOT).parts))
    return found


def room_of(module: str) -> str:
    """The innermost package holding ``module`` (a package is its own room):
    ``index.store.keywords`` -> ``index.store``; ``index.store`` -> ``index.store``."""
    parts = module.split(".")
    for size in range(len(parts), 0, -1):
        if (ROOT.joinpath(*parts[:size]) / "__init__.py").is_file():
            return ".".join(parts[:size])
    return parts[0]


def imports(tops=TOPS, root=ROOT) -> list[tuple[str, str, list[str], int]]:
    """(importing module, imported module, names, line) of every absolute import of the
    project's packages (``from X import a, b`` and ``import X``)."""
    out = []
    for top in tops:
        for path in (root / top).rglob("*.py"):
            module = ".".join(path.relative_to(root).with_suffix("").parts).removesuffix(".__init__")
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.ImportFrom) and node.module and node.level == 0 \
                        and node.module.split(".")[0] in TOPS:
                    out.append((module, node.module, [a.name for a in node.names], node.lineno))
                elif isinstance(node, ast.Import):
                    out += [(module, a.name, [], node.lineno) for a in node.names if a.name.split(".")[0] in TOPS]
    return out


def offered(face: ModuleType) -> set[str]:
    """The public names a face binds, modules aside (its submodules and ``logging``)."""
    return {name for name, value in vars(face).items() if not name.startswith("_") and name != "annotations"
            and not isinstance(value, ModuleType)}


@pytest.mark.parametrize("package", packages())
def test_every_package_has_a_face_that_is_what_it_offers(package):
    face = importlib.import_module(package)
    assert (face.__doc__ or "").strip(), f"{package}/__init__.py has no docstring saying what the room is for"
    names = getattr(face, "__all__", None)
    assert names is not None, f"{package} has no __all__"
    assert list(names) == sorted(names), f"{package}.__all__ is not sorted"
    assert len(set(names)) == len(names), f"{package}.__all__ repeats a name"
    extra = sorted(offered(face) - set(names))
    assert not extra, f"{package} binds {extra} without offering them in __all__: add them, or import them privately"
    missing = [n for n in names if not hasattr(face, n)]  # a submodule or a lazily imported name is offered too
    assert not missing, f"{package}.__all__ names what it does not hold: {missing}"
    folder = ROOT.joinpath(*package.split("."))
    modules = {p.stem for p in folder.glob("*.py") if p.stem != "__init__"} | {
        p.parent.name for p in folder.glob("*/__init__.py")}
    shadowing = sorted(n for n in set(names) & modules if not isinstance(getattr(face, n), ModuleType))
    assert not shadowing, f"{package}.__all__ names its own modules {shadowing}: rename the module or the name"


def past_faces(found) -> tuple[list[str], dict[str, set[str]]]:
    """The imports that go past a face, and the names each face is asked for."""
    around, wanted = [], defaultdict(set)
    for importer, imported, names, line in found:
        room, home = room_of(imported), room_of(importer)
        if home == room or imported in GROUND[imported.split(".")[0]] and home.startswith(room + "."):
            continue  # its own room, or the ground floor of the package it is in
        if imported != room:
            around.append(f"{importer}:{line} imports {imported} instead of the face {room}")
        else:
            wanted[room].update(names)
    return around, wanted


def incomplete(wanted: dict[str, set[str]]) -> list[str]:
    """The faces that lack names other rooms import from them."""
    out = []
    for room, names in sorted(wanted.items()):
        face = set(importlib.import_module(room).__all__)
        if names - face:
            out.append(f"{room}.__all__ lacks {sorted(names - face)}, which other rooms import")
    return out


def test_code_outside_a_room_imports_its_face_and_only_what_the_face_offers():
    around, wanted = past_faces(imports())
    assert not around, "\n".join(around)
    assert not incomplete(wanted), "\n".join(incomplete(wanted))


def test_the_face_check_catches_imports_past_a_face(tmp_path):
    """The check above, on a tree that goes past faces the ways this project once did."""
    (tmp_path / "ui").mkdir()
    (tmp_path / "ui" / "cards.py").write_text("from qa.retriever import Index\nfrom qa import Answer\n")
    (tmp_path / "index" / "maintenance").mkdir(parents=True)
    (tmp_path / "index" / "maintenance" / "check.py").write_text("from index.store import backdoor\n"
                                                                 "from index.errors import QAError\n")
    around, wanted = past_faces(imports(("ui", "index"), tmp_path))
    assert around == ["ui.cards:1 imports qa.retriever instead of the face qa"]
    assert wanted == {"qa": {"Answer"}, "index.store": {"backdoor"}}  # the ground floor (errors) is no face
    assert incomplete(wanted) == ["index.store.__all__ lacks ['backdoor'], which other rooms import"]


def test_imports_point_one_way():
    allowed = {"ui": {"ui", "qa", "index"}, "qa": {"qa", "index"}, "index": {"index"}}
    back = [f"{importer}:{line} imports {imported}" for importer, imported, _, line in imports()
            if imported.split(".")[0] not in allowed[importer.split(".")[0]]]
    assert not back, "\n".join(back)
