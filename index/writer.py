"""Apply additions and removals to an index directory, one generation per call.

The caller holds the directory's write lock (see :meth:`IndexDir.write_lock`).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from index.articles import Article
from index.chunker import ChunkedArticle
from index.embedder import Embedder
from index.keywords import KeywordIndex
from index.layout import IndexDir
from index.manifest import Manifest
from index.settings import Settings
from index.store import Store
from index.vectors import VectorIndex

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Addition:
    """An article ready to store: its chunks and the vectors of chunks and sentences."""

    article: Article
    chunked: ChunkedArticle
    chunk_vectors: np.ndarray
    sentence_vectors: np.ndarray


class IndexWriter:
    """Writes to an index directory. Without an embedder it can only remove articles."""

    def __init__(self, index_dir: IndexDir, settings: Settings, embedder: Embedder | None):
        self.dir = index_dir
        if index_dir.exists():
            manifest = index_dir.read_manifest()
            if embedder is not None:
                manifest.check_model(embedder.model_id, index_dir.path)
                manifest.check_chunking(settings, index_dir.path)
        elif embedder is None:
            index_dir.require()  # raises: there is nothing to remove from
        else:
            index_dir.path.mkdir(parents=True, exist_ok=True)
            manifest = Manifest.new(settings, embedder.model_id, embedder.dimension, embedder.max_seq_length)
        self.manifest = manifest
        self.store = Store(index_dir.database_path)
        self.generation = self.store.generation()
        self.vectors = self._load_vectors()
        if not index_dir.exists() or manifest.generation != self.generation:
            self._write_manifest()  # new, or a crash came between a commit and its manifest
        index_dir.remove_stale(keep=self.generation)

    def _load_vectors(self) -> VectorIndex:
        path = self.dir.vectors_path(self.generation)
        if self.generation == 0 and not path.exists():
            return VectorIndex(self.manifest.dimension)
        return VectorIndex.load(path, self.manifest.dimension)

    def close(self) -> None:
        self.store.close()

    def apply(self, additions: Sequence[Addition] = (), removals: Sequence[str] = ()) -> None:
        """Remove articles by id, add new ones, and commit it all as the next generation."""
        if not additions and not removals:
            return
        generation = self.generation + 1
        try:
            with self.store.transaction():
                for article_id in removals:
                    self.vectors.remove(self.store.delete_article(article_id))
                for add in additions:
                    ids = self.store.add_article(add.article, add.chunked, add.sentence_vectors)
                    self.vectors.add(ids, add.chunk_vectors)
                if additions:
                    KeywordIndex(self.store).sync_terms()
                self.vectors.save(self.dir.vectors_path(generation))
                self.store.set_meta("generation", str(generation))
        except BaseException:
            # SQLite rolled back; bring the in-memory vectors back to the committed state.
            self.dir.vectors_path(generation).unlink(missing_ok=True)
            self.vectors = self._load_vectors()
            raise
        self.generation = generation
        self._write_manifest()
        self.dir.remove_stale(keep=generation)
        log.debug("committed generation %d (%d added, %d removed)", generation, len(additions), len(removals))

    def _write_manifest(self) -> None:
        self.manifest = self.manifest.updated(self.generation, self.store.counts())
        self.manifest.write(self.dir.manifest_path)
