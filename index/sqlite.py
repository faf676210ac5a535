"""SQLite files of an index: checked before they are opened, and their errors turned into ours.

SQLite's own messages ("database disk image is malformed") name neither the file nor what
to do. Every SQLite error raised while using an index file goes through :func:`translate`,
which names the file and the fix, and picks the error type by SQLite's error code.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from index.errors import IndexBusyError, IndexCorruptError, IndexWriteError, QAError

HEADER = b"SQLite format 3\x00"


def repair_hint(index_path: Path) -> str:
    """The fix for a damaged index file."""
    return (f"run `qa check --index-dir {index_path}` to see what is damaged, then "
            f"`qa repair --index-dir {index_path}` to rebuild what can be rebuilt")


def check_file(path: Path, fix: str) -> None:
    """Raise :class:`IndexCorruptError` unless ``path`` is a non-empty SQLite database file."""
    if not path.is_file():
        raise IndexCorruptError(f"{path} is missing: {fix}")
    try:
        with open(path, "rb") as handle:
            head = handle.read(len(HEADER))
    except OSError as exc:
        raise IndexWriteError(f"cannot read {path} ({exc.strerror or exc}): check its permissions") from exc
    if not head:
        raise IndexCorruptError(f"{path} is empty (0 bytes), not a database: {fix}")
    if head != HEADER:
        raise IndexCorruptError(f"{path} is not an SQLite database (its first bytes are {head[:16]!r}): {fix}")


def translate(exc: sqlite3.Error, path: Path, fix: str) -> QAError:
    """Our error for an SQLite error on ``path``: damaged, busy, or not writable."""
    code = getattr(exc, "sqlite_errorname", "") or ""
    message = str(exc)
    if code.startswith(("SQLITE_CORRUPT", "SQLITE_NOTADB")) or "malformed" in message \
            or "not a database" in message:
        return IndexCorruptError(f"{path} is damaged ({message}): {fix}")
    if code.startswith("SQLITE_FULL") or "database or disk is full" in message:
        return IndexWriteError(f"cannot write {path}: the disk is full ({message}): free some space and run "
                               "the command again; what was committed before is kept")
    if code.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")) or "locked" in message:
        return IndexBusyError(f"{path} is busy ({message}): another process holds it; try again when it is done")
    if code.startswith(("SQLITE_IOERR", "SQLITE_CANTOPEN", "SQLITE_READONLY", "SQLITE_PERM", "SQLITE_AUTH")):
        return IndexWriteError(f"cannot use {path} ({message}): check the disk and the file's permissions")
    return IndexCorruptError(f"{path}: SQLite error ({message}): {fix}")


@contextmanager
def guarded(path: Path, fix: str) -> Iterator[None]:
    """Run a block, turning any SQLite error into :func:`translate`'s error."""
    try:
        yield
    except sqlite3.Error as exc:
        raise translate(exc, path, fix) from exc
