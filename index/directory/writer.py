"""Apply additions and removals to an index directory, one generation per call.

The caller holds the directory's write lock (see :meth:`IndexDir.write_lock`). A commit
writes the next generation's vector segment (its new vectors only), then records in one
SQLite transaction the new rows, the generation and the list of segments with their
SHA-256 and size (and the articles the keyword index must take up), then brings the
keyword index in step (:func:`index.directory.keywords.catch_up`), then replaces the
manifest, then deletes files no longer listed.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from index.directory.keywords import catch_up
from index.directory.layout import IndexDir
from index.directory.manifest import Manifest
from index.embed import Embedder
from index.errors import IndexCorruptError, IndexWriteError
from index.settings import IndexSettings
from index.store import ANN_MIN_VECTORS, Segment, SegmentSet, Store, VectorIndex, dump, plan_merge
from index.text import Article, ChunkedArticle

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Addition:
    """An article ready to store: its chunks and the vectors of chunks and sentences."""

    article: Article
    chunked: ChunkedArticle
    chunk_vectors: np.ndarray
    sentence_vectors: np.ndarray


class IndexWriter:
    """Writes to an index directory. Without an embedder it can only remove articles.

    It never loads the archive's vectors: a commit writes a segment of its own new vectors
    (see :mod:`index.store.segments`); only a merge reads the segments it merges.
    """

    def __init__(self, index_dir: IndexDir, settings: IndexSettings, embedder: Embedder | None):
        self.dir = index_dir
        new = _is_new(index_dir)
        if new:
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
            record = self.store.meta("build")
            if record and not new:
                differences = manifest.disagreements(Manifest.from_build_record(record))
                if differences:
                    raise IndexCorruptError(f"{index_dir.manifest_path} says {differences[0]}: run `qa repair "
                                            f"--index-dir {index_dir.path}` (it writes the manifest again from "
                                            "the database)")
            if record is None:  # new, or made by a version that did not record it
                with self.store.transaction():
                    self.store.set_meta("build", manifest.build_record())
            state = self.store.state()
            self.generation, self.segments = state.generation, list(state.segments)
            catch_up(index_dir, self.store)  # an earlier index's conversion, or a write a crash cut short
            if not index_dir.manifest_path.exists() or manifest.generation != self.generation \
                    or manifest.segments != dump(self.segments):
                self._write_manifest(len(state.removed))  # new, or a crash after a commit
        except BaseException:
            self.store.close()
            raise
        index_dir.remove_stale(keep=self._files())

    def _files(self) -> set[str]:
        """The vector files and the keyword directory the database names."""
        return {s.file for s in self.segments} | {self.store.meta("keywords") or ""}

    def close(self) -> None:
        self.store.close()

    def apply(self, additions: Sequence[Addition] = (), removals: Sequence[str] = ()) -> None:
        """Remove articles by id, add new ones, and commit it all as the next generation
        (its new vectors in one new segment); then merge segments if a size tier is full."""
        if not additions and not removals:
            return

        def change(generation: int) -> list[Segment]:
            for article_id in removals:
                self.store.delete_article(article_id)
            ids: list[int] = []
            for add in additions:
                ids += self.store.add_article(add.article, add.chunked, add.sentence_vectors)
            self.store.mark_keywords([*removals, *(add.article.id for add in additions)])
            if not ids:
                return self.segments
            vectors = np.concatenate([np.atleast_2d(a.chunk_vectors) for a in additions if len(a.chunk_vectors)])
            return [*self.segments, self._save(VectorIndex.build(self.manifest.dimension, np.asarray(ids), vectors),
                                                generation)]

        self._commit(change)
        log.debug("committed generation %d (%d added, %d removed)", self.generation, len(additions), len(removals))
        self.merge()

    def merge(self, everything: bool = False, ann_min: int = ANN_MIN_VECTORS) -> bool:
        """Merge the segments :func:`plan_merge` picks (all of them with ``everything``) into one,
        leaving removed vectors behind; True if it committed a merge."""
        chosen = plan_merge(self.segments, everything)
        if not chosen:
            return False
        removed = self.store.removed_ids()
        parts = SegmentSet(self.manifest.dimension)
        parts.update(self.dir.path, chosen, removed)
        if len(chosen) == 1 and not removed:
            (only,) = parts.parts.values()
            if only.approximate == (len(only) >= ann_min):
                return False  # one segment, nothing removed, of the right kind: nothing to do
        merged = parts.merged(ann_min)
        dropped = set(removed) & set(np.concatenate(list(parts.part_ids.values())).tolist())
        log.info("merging %d vector segment(s) into one of %d vectors", len(chosen), len(merged))

        def change(generation: int) -> list[Segment]:
            self.store.set_removed(sorted(set(removed) - dropped))
            kept = [s for s in self.segments if s not in chosen]
            return kept + [self._save(merged, generation)] if len(merged) else kept

        self._commit(change)
        return True

    def replace_vectors(self, vectors: VectorIndex) -> None:
        """Commit ``vectors`` (one per stored chunk, by chunk id) as the one segment of the next generation."""
        if set(vectors.ids().tolist()) != set(self.store.chunk_ids()):
            raise IndexCorruptError("the new vectors do not match the stored chunks one to one")

        def change(generation: int) -> list[Segment]:
            self.store.set_removed(())
            return [self._save(vectors, generation)] if len(vectors) else []

        self._commit(change)

    def _commit(self, change) -> None:
        """Run ``change`` (database rows; it writes the generation's segment file and returns the
        new list of segments) and record the list as the next generation, in one transaction."""
        generation = self.generation + 1
        try:
            with self.store.transaction():
                segments = change(generation)
                self.store.set_meta("generation", str(generation))
                self.store.set_meta("segments", dump(segments))
        except BaseException:
            self.dir.vectors_path(generation).unlink(missing_ok=True)  # SQLite rolled back
            raise
        self.generation, self.segments = generation, segments
        try:
            catch_up(self.dir, self.store)
        except IndexWriteError as exc:
            raise IndexWriteError(f"{exc}; the articles are committed, and the keyword index takes them up on "
                                  f"the next write or `qa repair --index-dir {self.dir.path}`") from None
        self._write_manifest(len(self.store.removed_ids()))
        self.dir.remove_stale(keep=self._files())

    def _save(self, vectors: VectorIndex, generation: int) -> Segment:
        path = self.dir.vectors_path(generation)
        try:
            sha256, nbytes = vectors.save(path)
        except OSError as exc:
            raise IndexWriteError(f"cannot write {path} ({exc.strerror or exc}): free some disk space or fix "
                                  "the folder's permissions, then run the command again; what was committed "
                                  "before is kept") from exc
        return Segment(path.name, sha256, nbytes, len(vectors))

    def _write_manifest(self, removed: int) -> None:
        self.manifest = self.manifest.updated(self.generation, self.store.counts(), dump(self.segments), removed)
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
