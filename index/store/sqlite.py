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


def varint(data: bytes, at: int) -> tuple[int, int]:
    """The SQLite varint (the file format's, and FTS5's records') at ``at``: (value, next offset)."""
    value = 0
    for i in range(8):
        byte = data[at + i]
        value = (value << 7) | (byte & 0x7F)
        if byte < 0x80:
            return value, at + i + 1
    return (value << 8) | data[at + 8], at + 9


def repair_hint(index_path: Path) -> str:
    """The fix for a damaged index file."""
    return (f"run `qa check --index-dir {index_path}` to see what is damaged, then "
            f"`qa repair --index-dir {index_path}` to rebuild what can be rebuilt")


def file_problem(path: Path) -> str | None:
    """What keeps ``path`` from being a database file (missing, empty, something else), or None.

    The file is looked at through SQLite only, never opened by Python: closing any descriptor
    of a file drops every POSIX lock this process holds on it, so a plain ``open`` while one
    of our connections is open would let another process's SQLite delete the WAL under it
    (sqlite.org, "How To Corrupt An SQLite Database File", 2.2). SQLite shares one descriptor
    per file among a process's connections and defers closing it while locks are held.
    """
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        return f"{path} is missing"
    except OSError as exc:
        return f"{path} cannot be read ({exc.strerror or exc})"
    if not path.is_file():
        return f"{path} is missing"
    if size == 0:
        return f"{path} is empty (0 bytes), not a database"
    try:
        probe = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        return f"{path} cannot be read ({exc})"
    try:
        probe.execute("PRAGMA schema_version").fetchone()
    except sqlite3.DatabaseError as exc:
        if "not a database" in str(exc) or getattr(exc, "sqlite_errorname", "") == "SQLITE_NOTADB":
            return f"{path} is not an SQLite database ({exc})"
        return f"{path} cannot be read ({exc})"
    finally:
        probe.close()
    return None


def lost_texts_hint(index_path: Path) -> str:
    """The fix when the article texts themselves are gone from an index."""
    return (f"the article texts are not in the index any more: restore {index_path / 'articles.sqlite'} from a "
            f"backup, or rebuild the index from the original files with "
            f"`qa ingest --rebuild --index-dir {index_path} PATH...`")


def check_file(path: Path, fix: str) -> None:
    """Raise :class:`IndexCorruptError` unless ``path`` is a non-empty SQLite database file."""
    problem = file_problem(path)
    if problem:
        raise IndexCorruptError(f"{problem}: {fix}" if fix else problem)


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
