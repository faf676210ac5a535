"""The one door qa reads an index through: dense and keyword search, the evidence of given
chunks, the articles and facts. SQL and FAISS stay behind it.

It keeps a consistent (SQLite, vector segments, keyword index) triple that follows new
generations. Opening an index written before the keyword index moved to tantivy converts it
first, once (under the write lock, with progress). Opening
runs the quick checks (the database is one, the manifest agrees with it, each vector
segment has its recorded size and checksum, one live vector per chunk); a failure is an
:class:`IndexCorruptError` naming the file and the fix. :meth:`IndexReader.refresh` is
cheap (a ``stat`` and one SQLite read): it loads a newer generation's new segments (and the
keyword index's last commit) when a writer committed one, and reopens everything when the
index was rebuilt or replaced (the database is another file now).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np

from index.directory.keywords import catch_up, open_keywords, pending
from index.directory.layout import IndexDir, file_identity
from index.directory.manifest import Manifest
from index.errors import IndexCorruptError
from index.store import ArticleSummary, ChunkRow, Filter, SegmentSet, Store, Vocabulary, repair_hint

log = logging.getLogger(__name__)

_PASSING = "SELECT c.id FROM chunk_spans c JOIN articles a ON a.id = c.article_id"  # + a filter's condition
FILTER_OVERFETCH = (8, 64)  # nearest chunks searched per one wanted, before a filter (see dense_search)


@dataclass
class Coverage:
    """Which parts of an index answered one question: a shard set (index/shards) names the
    shards it had to leave out; one index always answers whole."""

    total: int = 1
    missing: dict[str, str] = field(default_factory=dict)  # shard name -> why it was left out
    memo: dict = field(default_factory=dict)  # what the question learned of the shards (term statistics)

    @property
    def answered(self) -> int:
        return self.total - len(self.missing)

    @property
    def note(self) -> str | None:
        """"3 of 4 shards answered (shard-02: no answer within 10 s)"; None when whole."""
        if not self.missing:
            return None
        why = "; ".join(f"{name}: {reason}" for name, reason in sorted(self.missing.items()))
        return f"{self.answered} of {self.total} shards answered ({why})"


@dataclass(frozen=True)
class Facts:
    """What an index holds: its manifest, row counts, date range, generation, health."""

    manifest: Manifest
    counts: dict[str, int]  # articles, chunks, sentences
    earliest: str | None
    latest: str | None
    generation: int
    integrity: str
    segments: int = 0  # vector files
    approximate: bool = False  # some segment is searched approximately (IVF)
    sizes: dict[str, int] = None  # bytes on disk: database, vectors, cache


class IndexReader:
    """The document store and the chunk vectors of one index, kept in step."""

    def __init__(self, index_dir: IndexDir, model_id: str | None = None):
        self.dir = index_dir
        self.model_id = model_id
        self._lock = threading.RLock()
        self.store: Store | None = None
        self._retired: list[tuple[float, Store]] = []  # replaced databases, closed retire_after_s later
        self._open()

    def _open(self) -> None:
        identity = file_identity(self.dir.database_path)
        manifest = self.dir.read_manifest()
        if self.model_id is not None:
            manifest.check_model(self.model_id, self.dir.path)
        store = Store(self.dir.database_path)
        try:
            if store.meta("keywords") is None:  # written before tantivy: convert it, once
                with self.dir.write_lock():
                    catch_up(self.dir, store)
            elif pending(store):  # a write cut short (or a conversion): finish it unless a writer is busy
                with self.dir.write_lock_if_free() as free:
                    if free:
                        catch_up(self.dir, store)
            keywords = open_keywords(self.dir, store)
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
        self.keywords = keywords
        self.stamp = store.stamp()
        self.vectors = SegmentSet(manifest.dimension)
        self._load(state)

    retire_after_s = 60.0  # a replaced database is closed this long after (a question in flight may use it)

    def close(self) -> None:
        if self.store is not None:
            self.store.close()
        for _, store in self._retired:
            store.close()

    def _retire(self, store: Store | None = None) -> None:
        """Close, ``retire_after_s`` later, the store of an index that was replaced: its file is
        deleted, and an open connection would keep its disk space (and its WAL's) until the
        server stops. Called with none, closes those whose time has come."""
        now = time.monotonic()
        retired = self._retired + ([(now, store)] if store is not None else [])
        keep = []
        for since, old in retired:
            if now - since >= self.retire_after_s:
                old.close()
            else:
                keep.append((since, old))
        self._retired = keep

    @contextmanager
    def question(self) -> Iterator[Coverage]:
        """One question's span (a shard set notes the shards that did not answer; one index answers whole)."""
        yield Coverage()

    def refresh(self) -> bool:
        """Follow the directory: True if a new generation (or a replaced index) was loaded."""
        if self._retired:
            with self._lock:
                self._retire()
        if file_identity(self.dir.database_path) != self.identity:
            with self._lock:
                if file_identity(self.dir.database_path) != self.identity:
                    log.info("the index at %s was replaced: reopening it", self.dir.path)
                    old = self.store
                    self._open()
                    self._retire(old)
                    return True
        stamp = self.store.stamp()  # one small read; the chunk count only on change
        if stamp == self.stamp:
            return False
        with self._lock:
            if stamp[1] != self.stamp[1]:  # the keyword index was rebuilt into another directory
                self.keywords = open_keywords(self.dir, self.store)
            elif stamp[2] != self.stamp[2] and self.keywords is not None:  # it committed
                self.keywords.reload()
            self.stamp = stamp
            self._load(self.store.state())
            return True

    def _load(self, state) -> bool:
        for _ in range(5):  # a writer may commit (or merge away a segment) between our reads
            if state.generation == self.generation:
                return False
            try:
                vectors = self._loaded(self.vectors, state)
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
                f"the vector files hold {len(vectors)} live vectors, {self.dir.database_path.name} "
                f"{state.chunks} chunks: {repair_hint(self.dir.path)}")
        self.vectors, self.generation = vectors, state.generation
        if self.dir.manifest_path.exists():
            self.manifest = self.dir.read_manifest()
        log.debug("loaded generation %d (%d vectors in %d segments)", state.generation, len(vectors),
                  len(state.segments))
        return True

    def _loaded(self, current: SegmentSet, state) -> SegmentSet:
        """A SegmentSet of ``state``: the segments already loaded are shared, new ones read."""
        following = SegmentSet(self.manifest.dimension)
        following.parts = {n: p for n, p in current.parts.items()}
        following.part_ids = dict(current.part_ids)
        following.update(self.dir.path, state.segments, state.removed)
        return following

    def check_model(self, model_id: str) -> None:
        """Refuse to answer with vectors of another model than the index's (names both, and the fix)."""
        self.manifest.check_model(model_id, self.dir.path)

    # -- search ----------------------------------------------------------------------------

    def dense_search(self, vector: np.ndarray, n: int, where: Filter | None = None) -> dict[int, float]:
        """{chunk id: cosine} of the ``n`` nearest chunks that pass ``where``.

        With a filter, the ``8 n`` nearest chunks are searched first and the filter applied to
        them (one small read): when ``n`` of them pass, they are exactly the ``n`` nearest
        that pass; else the ``64 n`` nearest (``FILTER_OVERFETCH``). Only a filter that lets
        few of those through falls back to listing every chunk it lets through and searching
        among those (a read of the whole archive at scale).
        """
        vectors = self.vectors
        if where is None or not where.active:
            ids, scores = vectors.search(vector, n)
            return {int(i): float(s) for i, s in zip(ids, scores)}
        for factor in FILTER_OVERFETCH:
            ids, scores = vectors.search(vector, factor * n)
            passing = self.passing(ids.tolist(), where)
            if len(passing) >= n or len(ids) < factor * n:  # enough, or every live chunk was seen
                found = [(int(i), float(s)) for i, s in zip(ids, scores) if int(i) in passing]
                return dict(found[:n])
        ids, scores = vectors.search(vector, n, self.allowed_chunks(where))
        return {int(i): float(s) for i, s in zip(ids, scores)}

    def passing(self, ids: Sequence[int], where: Filter) -> set[int]:
        """Those of ``ids`` whose article passes ``where``."""
        if not ids:
            return set()
        condition, params = where.sql()
        found: set[int] = set()
        for start in range(0, len(ids), 5_000):
            part = list(ids[start:start + 5_000])
            marks = ",".join("?" * len(part))
            found.update(r[0] for r in self.store.fetch(f"{_PASSING} WHERE c.id IN ({marks}) AND {condition}",
                                                        [*part, *params]))
        return found

    def keyword_search(self, terms: Sequence[str], n: int, where: Filter | None = None,
                       weights: dict[str, float] | None = None) -> dict[int, float]:
        """{chunk id: BM25} of the ``n`` best keyword matches that pass ``where``; passages
        committed after the vectors were loaded wait for the next refresh. ``weights``: a
        factor per term (a shard scoring with its set's statistics)."""
        vectors, keywords = self.vectors, self.keywords
        if keywords is None:
            return {}
        return {i: s for i, s in keywords.search(terms, n, where, weights) if i in vectors}

    def keyword_statistics(self, terms: Sequence[str]) -> tuple[dict[str, int], int]:
        """({term: passages holding it}, passages) as the keyword index's BM25 counts them."""
        keywords = self.keywords
        return keywords.statistics(terms) if keywords is not None else ({}, 0)

    def allowed_chunks(self, where: Filter | None) -> list[int] | None:
        """The chunk ids a filter lets through (None: no filter)."""
        if where is None or not where.active:
            return None
        condition, params = where.sql()
        return [r[0] for r in self.store.fetch(f"{_PASSING} WHERE {condition}", params)]

    def term_frequencies(self, terms: Sequence[str]) -> tuple[dict[str, int], int]:
        """({term: number of chunks holding it}, number of chunks)."""
        keywords = self.keywords
        found = keywords.document_frequencies(terms) if keywords is not None else {}
        return {t: f for t, f in found.items() if f}, len(self.vectors)

    def similar_terms(self, term: str) -> list[str]:
        """Known terms spelled like ``term`` ("tell" -> "tal"), best first."""
        return Vocabulary(self.store).similar_terms(term)

    # -- evidence of chunks ----------------------------------------------------------------

    def chunks(self, ids: Sequence[int]) -> dict[int, ChunkRow]:
        """Chunks by id, with their article's metadata (removed ones are left out)."""
        return self.store.chunks(ids)

    def chunks_and_sentences(self, ids: Sequence[int]) -> tuple[dict[int, ChunkRow], dict]:
        """:meth:`chunks` and their :meth:`sentences` in one call (a shard asked over the network)."""
        rows = self.chunks(ids)
        return rows, self.sentences(list(rows.values()))

    def sentences(self, rows: Sequence[ChunkRow]) -> dict[int, tuple[list[tuple[int, int]], np.ndarray]]:
        """For each chunk (by id): the spans (in the article) and vectors of its sentences."""
        return self.store.sentences(rows)

    def chunk_vectors(self, ids: Sequence[int]) -> np.ndarray:
        """The stored vectors of ``ids``, in order."""
        return self.vectors.vectors(list(ids))

    # -- the collection --------------------------------------------------------------------

    def articles(self) -> list[ArticleSummary]:
        """Every article (id, title, date, outlet, url, origin, chunks), newest first."""
        return self.store.articles()

    def sources(self) -> list[str]:
        """The outlets the index holds articles from, by name."""
        return self.store.sources()

    def facts(self, quick_check: bool = False) -> Facts:
        """What the index holds and how it was built; ``quick_check`` runs SQLite's quick check."""
        self.refresh()
        earliest, latest = self.store.date_range()
        vectors = self.vectors
        return Facts(self.manifest, self.store.counts(), earliest, latest, self.generation,
                     self.store.quick_check() if quick_check else "not checked",
                     segments=len(vectors.parts), approximate=any(p.approximate for p in vectors.parts.values()),
                     sizes=self.dir.sizes())


def open_reader(path, model_id: str | None = None) -> IndexReader:
    """The index at ``path``, opened for reading (checked; a model id other than the
    index's own is refused)."""
    return IndexReader(IndexDir(path), model_id)
