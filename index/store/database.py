"""The SQLite document store: articles, their chunks and their sentence vectors.

Schema changes go through numbered migrations (``PRAGMA user_version``). Vectors of
chunks live in FAISS (see :mod:`index.store.vectors`); sentence vectors live here, next to
the spans they belong to, so the answering sentence of a passage is one dot product away.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

import index.store.codec as codec
from index.errors import IndexCorruptError
from index.store.migrations import MIGRATIONS
from index.store.segments import Segment, load_list, segment_file
from index.store.sqlite import check_file, guarded, lost_texts_hint, repair_hint
from index.text import Article, ChunkedArticle, skeleton

QUICK_CHECK_MAX_BYTES = 1_000_000_000  # `qa info` runs SQLite's quick_check on databases up to this size


@dataclass(frozen=True)
class State:
    """What a reader needs to load a generation consistently."""

    generation: int
    segments: tuple[Segment, ...]  # the vector files of this generation
    removed: tuple[int, ...]  # chunk ids whose vectors are still in a segment but no longer live
    chunks: int


@dataclass(frozen=True)
class ChunkRow:
    """A stored chunk joined with the metadata of its article."""

    id: int
    article_id: str
    start: int
    end: int
    text: str
    first_sentence: int
    last_sentence: int
    title: str
    url: str | None
    published: str | None
    source: str | None
    byline: str | None


@dataclass(frozen=True)
class ArticleSummary:
    """One stored article, as ``qa list`` shows it."""

    id: str
    title: str
    published: str | None
    source: str | None
    url: str | None
    origin: str | None
    chunks: int


@dataclass(frozen=True)
class Feed:
    """A feed or sitemap the index follows (``qa refresh``), with its last validators."""

    url: str
    kind: str  # feed | sitemap
    etag: str | None = None
    last_modified: str | None = None
    checked_at: str | None = None


class Store:
    """One SQLite database; safe to share between threads (calls are serialized).

    ``create``: make the database (and its tables) when it does not exist yet. Without it,
    a missing, empty or foreign file is an :class:`IndexCorruptError` naming the file: an
    existing index is never silently replaced by an empty one.
    """

    def __init__(self, path: Path, *, create: bool = False, fix: str | None = None):
        self.path = Path(path)
        self.fix = repair_hint(self.path.parent) if fix is None else fix
        if not create or (self.path.exists() and self.path.stat().st_size):
            check_file(self.path, lost_texts_hint(self.path.parent) if fix is None else fix)
        self._lock = threading.RLock()
        self._dimension: int | None = None
        with self._guard():
            self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
            try:
                self._db.create_function("qa_skeleton", 1, skeleton, deterministic=True)
                self._db.execute("PRAGMA foreign_keys = ON")
                self._db.execute("PRAGMA journal_mode = WAL")
                self._migrate(create)
            except BaseException:
                self._db.close()
                raise

    def _guard(self):
        return guarded(self.path, self.fix)

    def close(self) -> None:
        self._db.close()

    def _migrate(self, create: bool) -> None:
        version = self._db.execute("PRAGMA user_version").fetchone()[0]
        if version == 0 and not create:
            raise IndexCorruptError(f"{self.path} is an SQLite file without article-qa's tables: "
                                    f"{lost_texts_hint(self.path.parent)}")
        if version > len(MIGRATIONS):
            raise IndexCorruptError(
                f"{self.path} has schema version {version}, newer than this article-qa "
                f"understands ({len(MIGRATIONS)}): upgrade article-qa"
            )
        for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
            self._db.executescript(f"BEGIN; {script}; PRAGMA user_version = {number}; COMMIT;")

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One write transaction; rolled back entirely if the block raises."""
        with self._lock, self._guard():
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield
            except BaseException:
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    # -- writes (call inside transaction()) --------------------------------------------

    def add_article(self, article: Article, chunked: ChunkedArticle, sentence_vectors: np.ndarray) -> list[int]:
        """Insert an article with its chunks and sentence vectors; the new chunk ids."""
        now = datetime.now(UTC).isoformat(timespec="seconds")
        self._db.execute(
            "INSERT INTO articles VALUES (?,?,?,?,?,?,?,?,?,?)",
            (article.id, article.title, article.text, article.url, article.published, article.byline,
             article.source, article.origin, article.content_hash, now),
        )
        self._db.executemany(
            "INSERT INTO sentences VALUES (?,?,?,?,?)",
            [(article.id, i, s.start, s.end, codec.encode(v))
             for i, (s, v) in enumerate(zip(chunked.sentences, sentence_vectors, strict=True))],
        )
        # a removed chunk's id stays taken while its vector sits in a segment file
        first = 1 + self._db.execute("SELECT max(coalesce((SELECT max(id) FROM chunk_spans), 0), "
                                     "coalesce((SELECT max(chunk_id) FROM removed_vectors), 0))").fetchone()[0]
        ids = list(range(first, first + len(chunked.chunks)))
        self._db.executemany(
            "INSERT INTO chunk_spans (id, article_id, ord, start, end, n_tokens, first_sentence, "
            "last_sentence) VALUES (?,?,?,?,?,?,?,?)",
            [(i, article.id, ord_, c.start, c.end, c.n_tokens, c.first_sentence, c.last_sentence)
             for i, (ord_, c) in zip(ids, enumerate(chunked.chunks), strict=True)],
        )
        return ids

    def delete_article(self, article_id: str) -> list[int]:
        """Delete an article with its chunks and sentences; the ids of the deleted chunks
        (recorded as removed vectors until their segment is merged)."""
        ids = [r[0] for r in self._db.execute("SELECT id FROM chunk_spans WHERE article_id = ?", (article_id,))]
        self._db.execute("DELETE FROM articles WHERE id = ?", (article_id,))
        self._db.executemany("INSERT OR IGNORE INTO removed_vectors VALUES (?)", [(i,) for i in ids])
        return ids

    def set_removed(self, ids: Sequence[int]) -> None:
        """Record exactly ``ids`` as the removed vectors still held by segments."""
        self._db.execute("DELETE FROM removed_vectors")
        self._db.executemany("INSERT INTO removed_vectors VALUES (?)", [(int(i),) for i in ids])

    def mark_keywords(self, article_ids: Sequence[str]) -> None:
        """Record that the keyword index must take up these articles' changes (see
        :mod:`index.directory.keywords`); call inside the transaction that changes them."""
        self._db.executemany("INSERT OR IGNORE INTO keyword_pending VALUES (?)", [(a,) for a in article_ids])

    def set_meta(self, key: str, value: str) -> None:
        self._db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))

    # -- reads ---------------------------------------------------------------------------

    def meta(self, key: str) -> str | None:
        with self._lock, self._guard():
            row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def dimension(self) -> int | None:
        """The vectors' dimension, from the build record (None in an index that has none)."""
        if self._dimension is None:
            record = self.meta("build")
            self._dimension = json.loads(record).get("dimension") if record else None
        return self._dimension

    def generation(self) -> int:
        return int(self.meta("generation") or 0)

    def stamp(self) -> tuple[str | None, ...]:
        """What changes when a reader has something new to load: the generation, the keyword
        index's directory and its last commit (one small read)."""
        with self._lock, self._guard():
            found = dict(self._db.execute("SELECT key, value FROM meta WHERE key IN "
                                          "('generation', 'keywords', 'keywords_opstamp')"))
        return found.get("generation"), found.get("keywords"), found.get("keywords_opstamp")

    def state(self) -> State:
        """The committed generation, its vector segments, the removed ids and the chunk count,
        read together."""
        with self._lock, self._guard():
            self._db.execute("BEGIN")
            try:
                meta = dict(self._db.execute("SELECT key, value FROM meta WHERE key IN "
                                             "('generation', 'segments', 'vectors_sha256', 'vectors_bytes')"))
                chunks = self._db.execute("SELECT COUNT(*) FROM chunk_spans").fetchone()[0]
                removed = self._removed()
            finally:
                self._db.execute("COMMIT")
        generation = int(meta.get("generation") or 0)
        try:
            if "segments" in meta:
                segments = tuple(load_list(meta["segments"]))
            elif generation:  # one vector file per generation, as written before segments
                segments = (Segment(segment_file(generation), meta.get("vectors_sha256", ""),
                                    int(meta.get("vectors_bytes") or 0), chunks),)
            else:
                segments = ()
        except (ValueError, TypeError, KeyError) as exc:
            raise IndexCorruptError(f"the list of vector files in {self.path} is unreadable ({exc!r}): "
                                    f"{repair_hint(self.path.parent)}") from exc
        return State(generation, segments, removed, chunks)

    def removed_ids(self) -> tuple[int, ...]:
        """Chunk ids removed since their segment was last merged (see :mod:`index.store.segments`)."""
        with self._lock, self._guard():
            return self._removed()

    def _removed(self) -> tuple[int, ...]:
        return tuple(r[0] for r in self._db.execute("SELECT chunk_id FROM removed_vectors"))

    def article_hash(self, article_id: str) -> str | None:
        with self._lock, self._guard():
            row = self._db.execute("SELECT content_hash FROM articles WHERE id = ?", (article_id,)).fetchone()
        return row[0] if row else None

    def article_with_hash(self, digest: str) -> str | None:
        with self._lock, self._guard():
            row = self._db.execute("SELECT id FROM articles WHERE content_hash = ?", (digest,)).fetchone()
        return row[0] if row else None

    def known_urls(self, urls: Sequence[str]) -> set[str]:
        """Those of ``urls`` an article was fetched from (or names as its link)."""
        with self._lock, self._guard():
            return {url for url in dict.fromkeys(urls) if self._db.execute(
                "SELECT 1 FROM articles WHERE origin = ? OR url = ? LIMIT 1", (url, url)).fetchone()}

    def feeds(self) -> list[Feed]:
        with self._lock, self._guard():
            rows = self._db.execute("SELECT url, kind, etag, last_modified, checked_at FROM feeds ORDER BY added_at")
            return [Feed(*row) for row in rows]

    def save_feed(self, feed: Feed) -> None:
        """Record a feed or sitemap (call inside transaction())."""
        self._db.execute(
            "INSERT INTO feeds (url, kind, etag, last_modified, checked_at, added_at) VALUES (?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (url) DO UPDATE SET kind = excluded.kind, etag = excluded.etag, "
            "last_modified = excluded.last_modified, checked_at = excluded.checked_at",
            (feed.url, feed.kind, feed.etag, feed.last_modified, feed.checked_at, feed.checked_at))

    def chunks(self, ids: Sequence[int]) -> dict[int, ChunkRow]:
        """Chunks by id, with their article's metadata."""
        if not ids:
            return {}
        marks = ",".join("?" * len(ids))
        with self._lock, self._guard():
            rows = self._db.execute(
                "SELECT c.id, c.article_id, c.start, c.end, c.text, c.first_sentence, c.last_sentence,"
                " a.title, a.url, a.published, a.source, a.byline"
                f" FROM chunks c JOIN articles a ON a.id = c.article_id WHERE c.id IN ({marks})",
                list(ids),
            ).fetchall()
        return {row[0]: ChunkRow(*row) for row in rows}

    def sentences(self, chunks: Sequence[ChunkRow]) -> dict[int, tuple[list[tuple[int, int]], np.ndarray]]:
        """For each chunk (by id): the spans (in the article) and vectors of its sentences."""
        if not chunks:
            return {}
        where = " OR ".join("(article_id = ? AND ord >= ? AND ord < ?)" for _ in chunks)
        params = [x for c in chunks for x in (c.article_id, c.first_sentence, c.last_sentence)]
        with self._lock, self._guard():
            rows = self._db.execute(
                f"SELECT article_id, ord, start, end, vector FROM sentences WHERE {where}", params
            ).fetchall()
        by_key = {(r[0], r[1]): r for r in rows}
        out = {}
        for c in chunks:
            mine = [by_key[(c.article_id, i)] for i in range(c.first_sentence, c.last_sentence)
                    if (c.article_id, i) in by_key]
            vectors = codec.decode([r[4] for r in mine], self.dimension())
            out[c.id] = ([(r[2], r[3]) for r in mine], vectors)
        return out

    def reclaim(self, share: float = 0.1) -> int:
        """VACUUM when free pages are more than ``share`` of the file (an index written before
        passages became spans keeps the room their copied texts took); the bytes given back.
        Call outside a transaction, holding the write lock."""
        with self._lock, self._guard():
            free = self._db.execute("PRAGMA freelist_count").fetchone()[0]
            total = self._db.execute("PRAGMA page_count").fetchone()[0]
            if not total or free / total <= share:
                return 0
            page = self._db.execute("PRAGMA page_size").fetchone()[0]
            self._db.execute("VACUUM")
            self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return free * page

    def quick_check(self) -> str:
        """SQLite's ``quick_check`` of the database when it is small enough to be quick (about
        a second per 300 MB here): "ok", or why it was not run; raises :class:`IndexCorruptError`."""
        size = self.path.stat().st_size
        if size > QUICK_CHECK_MAX_BYTES:
            return f"not checked ({size / 1e9:.1f} GB): run `qa check`"
        rows = [" ".join(str(r[0]).split()) for r in self.fetch("PRAGMA quick_check(5)")]
        if rows != ["ok"]:
            raise IndexCorruptError(f"{self.path} is damaged (SQLite's quick check: {'; '.join(rows[:2])}): "
                                    f"{repair_hint(self.path.parent)}")
        return "ok (quick check)"

    def fetch(self, sql: str, params: Sequence = ()) -> list[tuple]:
        """Rows of a read query (for the query modules of this package)."""
        with self._lock, self._guard():
            return self._db.execute(sql, params).fetchall()

    def iterate(self, sql: str, params: Sequence = (), batch: int = 500) -> Iterator[tuple]:
        """Rows of a read query, a batch at a time (for reading a whole table)."""
        with self._lock, self._guard():
            cursor = self._db.execute(sql, params)
        while True:
            with self._lock, self._guard():
                rows = cursor.fetchmany(batch)
            if not rows:
                return
            yield from rows

    def run(self, sql: str, params: Sequence = ()) -> None:
        """A write statement; call inside :meth:`transaction`."""
        self._db.execute(sql, params)

    def chunk_ids(self) -> list[int]:
        with self._lock, self._guard():
            return [r[0] for r in self._db.execute("SELECT id FROM chunk_spans ORDER BY id")]

    def articles(self) -> list[ArticleSummary]:
        """All articles, newest first (undated last)."""
        with self._lock, self._guard():
            rows = self._db.execute(
                "SELECT a.id, a.title, a.published, a.source, a.url, a.origin, COUNT(c.id) FROM articles a"
                " LEFT JOIN chunk_spans c ON c.article_id = a.id GROUP BY a.id"
                " ORDER BY a.published IS NULL, a.published DESC, a.title"
            ).fetchall()
        return [ArticleSummary(*r) for r in rows]

    def find_articles(self, target: str) -> list[str]:
        """Ids of the articles ``target`` names: an article id, or a file/folder they came from."""
        with self._lock, self._guard():
            if self._db.execute("SELECT 1 FROM articles WHERE id = ?", (target,)).fetchone():
                return [target]
            path = str(Path(target).expanduser().resolve())
            rows = self._db.execute(
                "SELECT id FROM articles WHERE origin = ? OR substr(origin, 1, ?) IN (?, ?) ORDER BY id",
                (path, len(path) + 1, path + ":", path + "/"),
            )
            return [r[0] for r in rows]

    def counts(self, sentences: bool = True) -> dict[str, int]:
        """Rows of each table (counting sentences reads their whole table: leave it out when quick)."""
        tables = ("articles", "chunks", "sentences") if sentences else ("articles", "chunks")
        with self._lock, self._guard():
            return {table: self._db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0] for table in tables}

    def sources(self) -> list[str]:
        with self._lock, self._guard():
            return [r[0] for r in self._db.execute(
                "SELECT DISTINCT source FROM articles WHERE source IS NOT NULL ORDER BY lower(source)")]

    def date_range(self) -> tuple[str | None, str | None]:
        with self._lock, self._guard():
            return tuple(self._db.execute("SELECT MIN(published), MAX(published) FROM articles").fetchone())

