"""The index directory: which files it holds and how they stay in step.

    index-data/
      manifest.json          what produced the index (model, dimension, chunking, counts)
      articles.sqlite        articles, chunks, sentence vectors; meta.generation
      vectors-000007.faiss   chunk vectors for generation 7
      embedding-cache.sqlite vectors by (model, text hash); kept by --rebuild
      .write.lock            held by the one process that writes

Every write produces a new *generation*: the FAISS file of generation g+1 is written
first (under its own name), then the SQLite transaction that records g+1 commits, then
the manifest is replaced, and only then is the old FAISS file deleted. SQLite's
generation is the truth: a reader opens the FAISS file of that generation, so a crash at
any step leaves an index that opens with every article fully present or absent.
"""

from __future__ import annotations

import fcntl
import logging
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from index.errors import IndexBusyError, IndexCorruptError, IndexNotFoundError
from index.manifest import Manifest
from index.settings import DEFAULT_MODEL, Settings

log = logging.getLogger(__name__)

MANIFEST = "manifest.json"
DATABASE = "articles.sqlite"
CACHE = "embedding-cache.sqlite"
LOCK = ".write.lock"
_VECTORS = re.compile(r"^vectors-(\d+)\.faiss$")


class IndexDir:
    def __init__(self, path: str | os.PathLike):
        self.path = Path(path).expanduser()
        self.manifest_path = self.path / MANIFEST
        self.database_path = self.path / DATABASE
        self.cache_path = self.path / CACHE

    def __repr__(self) -> str:
        return f"IndexDir({str(self.path)!r})"

    def exists(self) -> bool:
        return self.manifest_path.is_file()

    def require(self) -> None:
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
        if not self.database_path.is_file():
            raise IndexCorruptError(f"{self.path} has a manifest but no {DATABASE}: rebuild it "
                                    f"with `qa ingest --rebuild --index-dir {self.path} PATH...`")

    def read_manifest(self) -> Manifest:
        self.require()
        return Manifest.read(self.manifest_path)

    def vectors_path(self, generation: int) -> Path:
        return self.path / f"vectors-{generation:06d}.faiss"

    def vector_files(self) -> dict[int, Path]:
        found = {}
        for child in self.path.glob("vectors-*.faiss"):
            match = _VECTORS.match(child.name)
            if match:
                found[int(match.group(1))] = child
        return found

    def remove_stale(self, keep: int) -> None:
        """Delete FAISS files of other generations and leftover temporary files."""
        for generation, path in self.vector_files().items():
            if generation != keep:
                path.unlink(missing_ok=True)
        for tmp in self.path.glob(".*.tmp"):
            tmp.unlink(missing_ok=True)

    def clear(self) -> None:
        """Delete the index files (only ours) so the index can be rebuilt; keep the embedding cache."""
        for path in [self.manifest_path, *self.vector_files().values()]:
            path.unlink(missing_ok=True)
        for suffix in ("", "-wal", "-shm"):
            Path(f"{self.database_path}{suffix}").unlink(missing_ok=True)

    @contextmanager
    def write_lock(self, wait: bool = True) -> Iterator[None]:
        """Hold the index's writer lock; with ``wait=False`` fail at once if it is taken."""
        self.path.mkdir(parents=True, exist_ok=True)
        with open(self.path / LOCK, "a+") as handle:
            flags = fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB)
            try:
                if wait:
                    try:
                        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    except BlockingIOError:
                        log.warning("another process is writing to %s; waiting for it", self.path)
                        fcntl.flock(handle, flags)
                else:
                    fcntl.flock(handle, flags)
            except BlockingIOError:
                raise IndexBusyError(
                    f"another process is writing to the index at {self.path}: wait for it to "
                    "finish, then try again"
                ) from None
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)


def model_for(settings: Settings) -> str:
    """The embedding model to use: the one the settings name, else the one the index was
    built with (so an index opens without repeating ``--model``), else DEFAULT_MODEL."""
    if settings.model:
        return settings.model
    index_dir = IndexDir(settings.index_dir)
    return index_dir.read_manifest().model if index_dir.exists() else DEFAULT_MODEL
