"""Read an index directory: a consistent (SQLite, FAISS) pair that follows new generations.

Opening runs the quick checks (the database is one, the manifest agrees with it, the
vector file has its recorded size and checksum and one vector per chunk); a failure is an
:class:`IndexCorruptError` naming the file and the fix. :meth:`IndexReader.refresh` is
cheap (a ``stat`` and one SQLite read): it loads a newer generation when a writer
committed one, and reopens everything when the index was rebuilt or replaced (the
database is another file now).
"""

from __future__ import annotations

import logging
import threading

import numpy as np

from index.errors import IndexCorruptError
from index.layout import IndexDir, file_identity
from index.manifest import Manifest
from index.sqlite import repair_hint
from index.store import Store
from index.vectors import VectorIndex

log = logging.getLogger(__name__)


class IndexReader:
    """The document store and the chunk vectors of one index, kept in step."""

    def __init__(self, index_dir: IndexDir, model_id: str | None = None):
        self.dir = index_dir
        self.model_id = model_id
        self._lock = threading.RLock()
        self.store: Store | None = None
        self._open()

    def _open(self) -> None:
        identity = file_identity(self.dir.database_path)
        manifest = self.dir.read_manifest()
        if self.model_id is not None:
            manifest.check_model(self.model_id, self.dir.path)
        store = Store(self.dir.database_path)
        try:
            state = store.state()
            if manifest.generation == state.generation:
                counts = store.counts(sentences=False)
                for name, have in counts.items():
                    if getattr(manifest, name) != have:
                        raise IndexCorruptError(
                            f"{self.dir.manifest_path} records {getattr(manifest, name)} {name}, "
                            f"{self.dir.database_path} holds {have}: {repair_hint(self.dir.path)}")
        except BaseException:
            store.close()
            raise
        self.store = store  # a replaced store is closed when the last thread using it lets go
        self.manifest: Manifest = manifest
        self.identity = identity
        self.generation = -1
        self.vectors = VectorIndex(manifest.dimension)
        self._load(state)

    def close(self) -> None:
        if self.store is not None:
            self.store.close()

    def refresh(self) -> bool:
        """Follow the directory: True if a new generation (or a replaced index) was loaded."""
        if file_identity(self.dir.database_path) != self.identity:
            with self._lock:
                if file_identity(self.dir.database_path) != self.identity:
                    log.info("the index at %s was replaced: reopening it", self.dir.path)
                    self._open()
                    return True
        if self.store.generation() == self.generation:  # one small read; the chunk count only on change
            return False
        with self._lock:
            return self._load(self.store.state())

    def _load(self, state) -> bool:
        for _ in range(5):  # a writer may commit again between our reads
            if state.generation == self.generation:
                return False
            path = self.dir.vectors_path(state.generation)
            if state.generation == 0 and not path.exists():
                vectors = VectorIndex(self.manifest.dimension)
                break
            try:
                vectors = VectorIndex.load(path, self.manifest.dimension, state.vectors_sha256, state.vectors_bytes)
                break
            except IndexCorruptError:
                newer = self.store.state()
                if newer.generation == state.generation:
                    raise
                state = newer
        else:
            raise IndexCorruptError(f"{self.dir.path} changes faster than it can be read: try again")
        if len(vectors) != state.chunks:
            raise IndexCorruptError(
                f"{path.name} holds {len(vectors)} vectors, {self.dir.database_path.name} {state.chunks} chunks: "
                f"{repair_hint(self.dir.path)}")
        self.vectors, self.generation = vectors, state.generation
        if self.dir.manifest_path.exists():
            self.manifest = self.dir.read_manifest()
        log.debug("loaded generation %d (%d vectors)", state.generation, len(vectors))
        return True

    def search(self, query: np.ndarray, k: int, allowed: list[int] | None = None) -> tuple[np.ndarray, np.ndarray]:
        return self.vectors.search(query, k, allowed)
