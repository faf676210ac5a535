"""Which files the paths a user gives hold: folders walked (symbolic links followed once),
each path that cannot be read named with the reason."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable
from pathlib import Path

from index.errors import ArticleError


def discover(paths: Iterable[str | Path], suffixes: Iterable[str]) -> tuple[list[Path], list[ArticleError]]:
    """Files under ``paths`` with one of ``suffixes``, sorted, no repeats; an
    :class:`ArticleError` for each path that is not usable."""
    suffixes = set(suffixes)
    found: dict[Path, None] = {}
    errors: list[ArticleError] = []
    for raw in paths:
        path = Path(raw).expanduser()
        if path.is_dir():
            _walk(path, suffixes, found, errors)
        elif path.is_file():
            if path.suffix.lower() in suffixes:
                found[path.resolve()] = None
            else:
                errors.append(ArticleError(str(path), f"unsupported file type {path.suffix or '(none)'!r}: "
                                                      f"use one of {', '.join(sorted(suffixes))}"))
        else:
            errors.append(ArticleError(str(path), _not_usable(path)))
    return list(found), errors


def _walk(root: Path, suffixes: set[str], found: dict[Path, None], errors: list[ArticleError]) -> None:
    """Add the supported files under ``root``; list the entries that cannot be read."""
    seen_dirs: set[Path] = set()
    for folder, dirs, files in os.walk(root, followlinks=True, onerror=lambda exc: errors.append(
            ArticleError(str(exc.filename), f"cannot read the folder ({exc.strerror or exc})"))):
        here = Path(folder)
        real = here.resolve()
        if real in seen_dirs:  # a symbolic link back up the tree
            errors.append(ArticleError(str(here), "symbolic link loop: the folder is already being read, skipped"))
            dirs[:] = []
            continue
        seen_dirs.add(real)
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            child = here / name
            if name.startswith(".") or child.suffix.lower() not in suffixes:
                continue
            if child.is_file():
                found[child.resolve()] = None
            else:
                errors.append(ArticleError(str(child), _not_usable(child)))


def _not_usable(path: Path) -> str:
    """Why a path that is neither a folder nor a regular file cannot be read."""
    if path.is_symlink() and not path.exists():
        return f"broken symbolic link (it points to {os.readlink(path)}, which does not exist)"
    if not path.exists():
        return "no such file or folder"
    mode = path.stat().st_mode
    kind = ("a character device" if stat.S_ISCHR(mode) else "a block device" if stat.S_ISBLK(mode)
            else "a named pipe" if stat.S_ISFIFO(mode) else "a socket" if stat.S_ISSOCK(mode) else "special")
    return f"not a regular file ({kind}): give an article file or a folder of them"
