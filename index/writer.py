"""Apply additions and removals to an index directory, one generation per call.

The caller holds the directory's write lock (see :meth:`IndexDir.write_lock`). A commit
writes the next generation's vector file, then records in one SQLite transaction the new
rows, the generation and the vector file's SHA-256 and size, then replaces the manifest.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from index.articles import Article
from index.chunker import ChunkedArticle
from index.embedder import Embedder
from index.errors import IndexCorruptError, IndexWriteError
from index.keywords import KeywordIndex
from index.layout import IndexDir
from index.manifest import Manifest
from index.settings import IndexSettings
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

    def __init__(self, index_dir: IndexDir, settings: IndexSettings, embedder: Embedder | None,
                 load_vectors: bool = True):
        """``load_vectors=False`` starts from no vectors, for :meth:`replace_vectors` (a repair)."""
        self.dir = index_dir
        if _is_new(index_dir):
            if embedder is None:
                index_dir.require()  # raises: there is nothing to remove from
            index_dir.path.mkdir(parents=True, exist_ok=True)
            manifest = Manifest.new(settings, embedder.model_id, embedder.dimension, embedder.max_seq_length)
            self.store = Store(index_dir.database_path, create=True)
        else:
            manifest = index_dir.read_manifest()
            if embedder is not None:
                manifest.check_model(embedder.model_id, index_dir.path)
                manifest.check_chunking(settings, index_dir.path)
            self.store = Store(index_dir.database_path)
        self.manifest = manifest
        try:
            if self.store.meta("build") is None:  # new, or made by a version that did not record it
                with self.store.transaction():
                    self.store.set_meta("build", manifest.build_record())
            state = self.store.state()
            self.generation = state.generation
            self.vectors = (self._load_vectors(state.vectors_sha256, state.vectors_bytes) if load_vectors
                            else VectorIndex(manifest.dimension))
            if not index_dir.manifest_path.exists() or manifest.generation != self.generation \
                    or manifest.vectors_sha256 != state.vectors_sha256:
                self._write_manifest(state.vectors_sha256, state.vectors_bytes)  # new, or a crash after a commit
        except BaseException:
            self.store.close()
            raise
        index_dir.remove_stale(keep=self.generation)

    def _load_vectors(self, sha256: str = "", nbytes: int = 0) -> VectorIndex:
        path = self.dir.vectors_path(self.generation)
        if self.generation == 0 and not path.exists():
            return VectorIndex(self.manifest.dimension)
        return VectorIndex.load(path, self.manifest.dimension, sha256, nbytes)

    def close(self) -> None:
        self.store.close()

    def apply(self, additions: Sequence[Addition] = (), removals: Sequence[str] = ()) -> None:
        """Remove articles by id, add new ones, and commit it all as the next generation."""
        if not additions and not removals:
            return

        def change() -> None:
            for article_id in removals:
                self.vectors.remove(self.store.delete_article(article_id))
            for add in additions:
                ids = self.store.add_article(add.article, add.chunked, add.sentence_vectors)
                self.vectors.add(ids, add.chunk_vectors)
            if additions:
                KeywordIndex(self.store).sync_terms()

        self._commit(change)
        log.debug("committed generation %d (%d added, %d removed)", self.generation, len(additions), len(removals))

    def replace_vectors(self, vectors: VectorIndex) -> None:
        """Commit ``vectors`` (one per stored chunk, by chunk id) as the next generation."""
        if set(vectors.ids().tolist()) != set(self.store.chunk_ids()):
            raise IndexCorruptError("the new vectors do not match the stored chunks one to one")
        self.vectors = vectors
        self._commit(lambda: None)

    def _commit(self, change) -> None:
        """Run ``change`` (database rows and in-memory vectors), write the vector file, and
        record both as the next generation in one transaction."""
        generation = self.generation + 1
        try:
            with self.store.transaction():
                change()
                sha256, nbytes = self._save_vectors(generation)
                self.store.set_meta("generation", str(generation))
                self.store.set_meta("vectors_sha256", sha256)
                self.store.set_meta("vectors_bytes", str(nbytes))
        except BaseException:
            # SQLite rolled back; bring the in-memory vectors back to the committed state.
            self.dir.vectors_path(generation).unlink(missing_ok=True)
            state = self.store.state()
            try:
                self.vectors = self._load_vectors(state.vectors_sha256, state.vectors_bytes)
            except IndexCorruptError:  # being repaired: there is no good committed file
                self.vectors = VectorIndex(self.manifest.dimension)
            raise
        self.generation = generation
        self._write_manifest(sha256, nbytes)
        self.dir.remove_stale(keep=generation)

    def _save_vectors(self, generation: int) -> tuple[str, int]:
        path = self.dir.vectors_path(generation)
        try:
            return self.vectors.save(path)
        except OSError as exc:
            raise IndexWriteError(f"cannot write {path} ({exc.strerror or exc}): free some disk space or fix "
                                  "the folder's permissions, then run the command again; what was committed "
                                  "before is kept") from exc

    def _write_manifest(self, sha256: str, nbytes: int) -> None:
        self.manifest = self.manifest.updated(self.generation, self.store.counts(), sha256, nbytes)
        try:
            self.manifest.write(self.dir.manifest_path)
        except OSError as exc:
            raise IndexWriteError(f"cannot write {self.dir.manifest_path} ({exc.strerror or exc}): the data is "
                                  f"committed; run `qa repair --index-dir {self.dir.path}` once the disk "
                                  "is writable") from exc


def _is_new(index_dir: IndexDir) -> bool:
    """No index here yet, or only the empty database of one whose creation was interrupted."""
    if index_dir.manifest_path.exists():
        return False
    if not index_dir.database_path.exists():
        return True
    try:
        store = Store(index_dir.database_path, create=True)
    except IndexCorruptError:
        return False
    try:
        return store.generation() == 0 and store.counts(sentences=False)["articles"] == 0
    finally:
        store.close()
