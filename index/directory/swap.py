"""Replace an index by one built beside it, in one atomic step.

A rebuild (``qa ingest --rebuild``, or ``qa repair`` of a damaged database) never deletes
the old index before the new one is complete: the new one is built in a hidden sibling
directory, the files that are not index files (the embedding cache, uploaded originals,
anything a user put there) are moved into it, and the two directories are exchanged with
``renameat2(RENAME_EXCHANGE)``. Only then is the old one deleted. A crash at any point
leaves either the old index or the new one in place, plus a sibling that the next writer
deletes. Readers notice the new database (a new file identity) and reopen it.
"""

from __future__ import annotations

import ctypes
import errno
import logging
import os
import shutil
from pathlib import Path

from index.directory.layout import IndexDir
from index.errors import IndexWriteError
from index.store import fsync_dir

log = logging.getLogger(__name__)

_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def beside(index_dir: IndexDir) -> IndexDir:
    """A fresh, empty sibling directory to build a replacement index in."""
    path = index_dir.path.parent / f".{index_dir.path.name}.rebuild-{os.getpid()}"
    try:
        if path.exists():
            shutil.rmtree(path)
        path.mkdir(parents=True)
    except OSError as exc:
        raise IndexWriteError(f"cannot create {path} to build the new index beside the old one "
                              f"({exc.strerror or exc}): make {index_dir.path.parent} writable") from exc
    return IndexDir(path)


def remove_leftovers(index_dir: IndexDir) -> None:
    """Delete siblings left by an interrupted rebuild (call while holding the write lock).

    An index parked by the two-rename fallback of :func:`exchange` is reported, never deleted.
    """
    for parked in index_dir.path.parent.glob(f".{index_dir.path.name}.parked-*"):
        log.warning("%s holds an index parked by an interrupted rebuild: if %s is incomplete, move it back",
                    parked, index_dir.path)
    for sibling in index_dir.path.parent.glob(f".{index_dir.path.name}.rebuild-*"):
        log.info("removing %s, left by an interrupted rebuild", sibling)
        index_dir.path.mkdir(parents=True, exist_ok=True)
        _move_foreign(IndexDir(sibling), index_dir)  # uploads and the cache are never deleted
        shutil.rmtree(sibling, ignore_errors=True)


def swap_in(index_dir: IndexDir, built: IndexDir) -> None:
    """Make ``built`` the index at ``index_dir.path``; the old index files are deleted after.

    Everything in the old directory that is not an index file moves into the new one.
    """
    try:
        if index_dir.path.exists():
            exchange(index_dir.path, built.path)
            _move_foreign(built, index_dir)  # built.path now holds the old index
        else:
            os.rename(built.path, index_dir.path)
        fsync_dir(index_dir.path.parent)
    except OSError as exc:
        raise IndexWriteError(f"cannot put the rebuilt index in place of {index_dir.path} ({exc}): free the "
                              f"disk or fix its permissions and run the command again; until then the other "
                              f"index (and any file not yet moved) stays in {built.path}") from exc
    shutil.rmtree(built.path, ignore_errors=True)  # now the old index


def _move_foreign(source: IndexDir, target: IndexDir) -> None:
    """Move what is not an index file (cache, uploads, a user's files) from source to target."""
    for child in source.path.iterdir():
        if not source.is_ours(child.name) and not (target.path / child.name).exists():
            os.rename(child, target.path / child.name)


def exchange(a: Path, b: Path) -> None:
    """Swap two directories atomically (Linux ``renameat2``); two renames elsewhere."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        renameat2 = None
    if renameat2 is not None:
        if renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
            return
        code = ctypes.get_errno()
        if code not in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP):
            raise OSError(code, os.strerror(code), str(a))
    parked = a.with_name(f".{a.name}.parked-{os.getpid()}")
    os.rename(a, parked)
    os.rename(b, a)
    os.rename(parked, b)
