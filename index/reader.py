"""Read an index directory: a consistent (SQLite, FAISS) pair that follows new generations."""

from __future__ import annotations

import logging
import threading

import numpy as np

from index.errors import IndexCorruptError
from index.layout import IndexDir
from index.manifest import Manifest
from index.store import Store
from index.vectors import VectorIndex

log = logging.getLogger(__name__)


class IndexReader:
    """The document store and the chunk vectors of one index, kept in step.

    :meth:`refresh` (cheap: one SQLite read) loads the vectors of a newer generation
    when a writer has committed one, so a long-running reader sees new articles.
    """

    def __init__(self, index_dir: IndexDir, model_id: str | None = None):
        self.dir = index_dir
        self.manifest: Manifest = index_dir.read_manifest()
        if model_id is not None:
            self.manifest.check_model(model_id, index_dir.path)
        self.store = Store(index_dir.database_path)
        self._lock = threading.Lock()
        self.generation = -1
        self.vectors = VectorIndex(self.manifest.dimension)
        self.refresh()

    def close(self) -> None:
        self.store.close()

    def refresh(self) -> bool:
        """Load a newer generation if one was committed; True if it did."""
        generation = self.store.generation()
        if generation == self.generation:
            return False
        with self._lock:
            for _ in range(5):  # a writer may replace the file between our two reads
                path = self.dir.vectors_path(generation)
                if generation == 0 and not path.exists():
                    vectors = VectorIndex(self.manifest.dimension)
                    break
                try:
                    vectors = VectorIndex.load(path, self.manifest.dimension)
                    break
                except IndexCorruptError:
                    if path.exists():
                        raise
                    generation = self.store.generation()
            else:
                raise IndexCorruptError(
                    f"{self.dir.path} records generation {generation} but has no "
                    f"{path.name}: rebuild it with `qa ingest --rebuild --index-dir {self.dir.path} ...`"
                )
            self.vectors, self.generation = vectors, generation
            if self.dir.manifest_path.exists():
                self.manifest = self.dir.read_manifest()
        log.debug("loaded generation %d (%d vectors)", generation, len(vectors))
        return True

    def search(self, query: np.ndarray, k: int, allowed: list[int] | None = None) -> tuple[np.ndarray, np.ndarray]:
        return self.vectors.search(query, k, allowed)
