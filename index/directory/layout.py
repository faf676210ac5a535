"""The index directory: which files it holds and how they stay in step.

    index-data/
      manifest.json          what produced the index (model, dimension, chunking, counts)
      articles.sqlite        articles, chunks, sentence vectors; meta: generation, segments
      vectors-000007.faiss   a segment of chunk vectors, written by generation 7
      vectors-000012.faiss   ... and one by generation 12 (index/store/segments.py)
      keywords-1f0c9a2e/     the tantivy keyword index the database names (index/directory/keywords.py)
      embedding-cache.sqlite vectors by (model, text hash); kept by --rebuild
      .write.lock            held by the one process that writes

Every write produces a new *generation*: the segment file of generation g+1 (its new
vectors, or a merge) is written first under its own name, then the SQLite transaction
that records g+1 and its list of segments commits, then the manifest is replaced, and only
then are files no longer listed deleted. SQLite's list is the truth: a reader opens the
segments it names, so a crash at any step leaves an index that opens with every article
fully present or absent. The keyword index is brought in step after that transaction and
before the manifest (a crash in between is replayed by the next writer).
"""

from __future__ import annotations

import fcntl
import logging
import os
import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from index.directory.manifest import Manifest
from index.embed import DEFAULT_MODEL
from index.errors import IndexCorruptError, IndexNotFoundError
from index.settings import IndexSettings
from index.store import lost_texts_hint, segment_file

log = logging.getLogger(__name__)

MANIFEST = "manifest.json"
DATABASE = "articles.sqlite"
CACHE = "embedding-cache.sqlite"
LOCK = ".write.lock"
_VECTORS = re.compile(r"^vectors-(\d+)\.faiss$")
_KEYWORDS = re.compile(r"^keywords-[0-9a-f]+$")


class IndexDir:
    def __init__(self, path: str | os.PathLike):
        self.path = Path(path).expanduser()
        self.manifest_path = self.path / MANIFEST
        self.database_path = self.path / DATABASE
        self.cache_path = self.path / CACHE

    def __repr__(self) -> str:
        return f"IndexDir({str(self.path)!r})"

    def exists(self) -> bool:
        """Whether an index lives here (its manifest or its database, even if damaged)."""
        return self.manifest_path.is_file() or self.database_path.exists()

    def require(self) -> None:
        """Raise unless both the manifest and the database are here."""
        if not self.path.exists():
            raise IndexNotFoundError(
                f"no index at {self.path}: build one with `qa ingest PATH...` "
                "(or point QA_INDEX_DIR / --index-dir at an existing one)"
            )
        if not self.exists():
            raise IndexNotFoundError(
                f"{self.path} holds no article-qa index (no {MANIFEST}): build one with "
                f"`qa ingest --index-dir {self.path} PATH...`"
            )
        if not self.database_path.exists():
            raise IndexCorruptError(f"{self.path} has a manifest but no {DATABASE}: {lost_texts_hint(self.path)}")
        if not self.manifest_path.is_file():
            raise IndexCorruptError(f"{self.manifest_path} is missing: run `qa repair --index-dir {self.path}` "
                                    "to write it again from the database")

    def read_manifest(self) -> Manifest:
        self.require()
        return Manifest.read(self.manifest_path)

    def vectors_path(self, generation: int) -> Path:
        return self.path / segment_file(generation)

    def vector_files(self) -> dict[int, Path]:
        found = {}
        for child in self.path.glob("vectors-*.faiss"):
            match = _VECTORS.match(child.name)
            if match:
                found[int(match.group(1))] = child
        return found

    def sizes(self) -> dict[str, int]:
        """Bytes on disk of the database (with its write-ahead log), the vector files, the
        keyword index and the cache."""
        sizes = {"database": 0, "vectors": 0, "keywords": 0, "cache": 0}
        for child in self.path.iterdir():
            if _KEYWORDS.match(child.name) and child.is_dir():
                sizes["keywords"] += sum(f.stat().st_size for f in child.iterdir() if f.is_file())
                continue
            part = ("database" if child.name.startswith(DATABASE) else "cache" if child.name.startswith(CACHE)
                    else "vectors" if _VECTORS.match(child.name) else None)
            if part:
                try:
                    sizes[part] += child.stat().st_size
                except FileNotFoundError:  # merged away meanwhile
                    pass
        return sizes

    def remove_stale(self, keep: set[str]) -> None:
        """Delete the vector files and keyword directories not named in ``keep`` (the committed
        ones) and leftover temporary files."""
        for path in self.vector_files().values():
            if path.name not in keep:
                path.unlink(missing_ok=True)
        for path in self.path.glob("keywords-*"):
            if _KEYWORDS.match(path.name) and path.name not in keep:
                shutil.rmtree(path, ignore_errors=True)
        for tmp in self.path.glob(".*.tmp"):
            tmp.unlink(missing_ok=True)

    def is_ours(self, name: str) -> bool:
        """Whether ``name`` in the directory is an index file (rebuilt, not kept, by a rebuild)."""
        return (name in (MANIFEST, LOCK) or name.startswith(DATABASE) or bool(_VECTORS.match(name))
                or bool(_KEYWORDS.match(name))
                or (name.startswith(".") and name.endswith(".tmp")))

    @contextmanager
    def write_lock_if_free(self) -> Iterator[bool]:
        """Hold the writer lock if no other process holds it (True), else go on without it (False)."""
        try:
            handle = open(self.path / LOCK, "a+")
        except OSError:  # a folder this process may only read
            yield False
            return
        try:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                yield False
                return
            try:
                yield _same_file(handle, self.path / LOCK)
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)
        finally:
            handle.close()

    @contextmanager
    def write_lock(self) -> Iterator[None]:
        """Hold the index's writer lock, waiting for another writer to finish first."""
        while True:
            self.path.mkdir(parents=True, exist_ok=True)
            handle = open(self.path / LOCK, "a+")
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                log.warning("another process is writing to %s; waiting for it", self.path)
                fcntl.flock(handle, fcntl.LOCK_EX)
            if _same_file(handle, self.path / LOCK):
                break
            # a rebuild swapped a new directory in while we waited: lock the new one
            fcntl.flock(handle, fcntl.LOCK_UN)
            handle.close()
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
            handle.close()


def _same_file(handle, path: Path) -> bool:
    try:
        mine, current = os.fstat(handle.fileno()), os.stat(path)
    except FileNotFoundError:
        return False
    return (mine.st_dev, mine.st_ino) == (current.st_dev, current.st_ino)


def file_identity(path: Path) -> tuple[int, int] | None:
    """(device, inode) of ``path``: changes when the file is replaced; None if it is gone."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    return st.st_dev, st.st_ino


def model_for(settings: IndexSettings) -> str:
    """The embedding model to use: the one the settings name, else the one the index was
    built with (so an index opens without repeating ``--model``), else DEFAULT_MODEL."""
    if settings.model:
        return settings.model
    index_dir = IndexDir(settings.index_dir)
    return index_dir.read_manifest().model if index_dir.exists() else DEFAULT_MODEL
