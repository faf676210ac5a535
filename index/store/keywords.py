"""Keyword search over the passages: a tantivy index beside the database.

tantivy (the Rust search library) ranks by BM25 and returns an exact top k without
scoring every passage that holds a word of the question (block-max WAND): a common word
("said", in half an archive) no longer costs a scan of its posting list. Each passage is
one document:

* ``text``: its terms as :func:`index.text.terms` splits them (lower case, accents off),
  joined by spaces and indexed by tantivy's whitespace tokenizer, so the question's terms,
  split by the same function, match exactly; term frequencies only, no positions;
* ``chunk``: the chunk id (a fast field: hits map to ids without reading stored documents);
* ``article``: the article id, to delete an article's passages by one term;
* ``day`` (days since 1970-01-01 of the article's date) and ``source`` (lower case): the
  filters, applied inside the query with a score of 0, so a filtered question ranks the
  passages that pass it exactly as the unfiltered one would and never comes back empty
  while matches exist.

SQLite stays the record; this index is derived from it (see
:mod:`index.directory.keywords` for how the two stay in step). Nothing here is pickled:
tantivy's files are its own format.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import tantivy

from index.errors import IndexCorruptError, IndexWriteError
from index.store.filters import Filter

log = logging.getLogger(__name__)

WRITER_HEAP = 64_000_000  # bytes of tantivy's indexing buffer (it writes a segment when full)
_EPOCH = date(1970, 1, 1)


def _schema() -> tantivy.Schema:
    builder = tantivy.SchemaBuilder()
    builder.add_integer_field("chunk", indexed=True, fast=True)
    builder.add_text_field("article", tokenizer_name="raw", index_option="basic")
    builder.add_integer_field("day", indexed=True, fast=True)
    builder.add_text_field("source", tokenizer_name="raw", index_option="basic")
    builder.add_text_field("text", tokenizer_name="whitespace", index_option="freq")
    return builder.build()


SCHEMA = _schema()
FIELDS = ("chunk", "article", "day", "source", "text")


def day_number(published: str | None) -> int | None:
    """Days since 1970-01-01 of an ISO date (its first ten characters); None if it has none."""
    if not published:
        return None
    try:
        return (date.fromisoformat(published[:10]) - _EPOCH).days
    except ValueError:
        return None


@dataclass(frozen=True)
class KeywordPassage:
    """What the keyword index holds of one passage."""

    chunk: int
    article: str
    terms: Sequence[str]
    published: str | None = None
    source: str | None = None

    def document(self) -> tantivy.Document:
        doc = tantivy.Document(chunk=self.chunk, article=self.article, text=" ".join(self.terms))
        day = day_number(self.published)
        if day is not None:
            doc.add_integer("day", day)
        if self.source:
            doc.add_text("source", self.source.lower())
        return doc


class KeywordIndex:
    """One tantivy index directory. ``create``: make it when it does not exist yet."""

    def __init__(self, path: Path, *, create: bool = False, fix: str = ""):
        self.path = Path(path)
        self.fix = fix
        if not create and not (self.path / "meta.json").is_file():
            raise IndexCorruptError(f"the keyword index {self.path} is missing its meta.json: {fix}".rstrip(": "))
        try:
            self.path.mkdir(parents=True, exist_ok=True)
            self.index = tantivy.Index(SCHEMA, path=str(self.path), reuse=True)
            self.index.config_reader(reload_policy="Manual")
        except (ValueError, OSError) as exc:
            raise IndexCorruptError(f"the keyword index {self.path} cannot be opened ({exc}): {fix}") from None
        names = [f["name"] for f in self._meta().get("schema", [])]
        if names and tuple(names) != FIELDS:
            raise IndexCorruptError(f"the keyword index {self.path} has the fields {names}, not {list(FIELDS)}: "
                                    f"{fix}")

    def _meta(self) -> dict:
        try:
            return json.loads((self.path / "meta.json").read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise IndexCorruptError(f"the keyword index's {self.path / 'meta.json'} cannot be read ({exc}): "
                                    f"{self.fix}") from None

    def reload(self) -> None:
        """See the last commit (searchers are made per question)."""
        self.index.reload()

    def chunk_ids(self) -> list[int]:
        """Every indexed chunk id (reads the whole index: for checks)."""
        searcher = self.index.searcher()
        total = searcher.num_docs
        if not total:
            return []
        hits = searcher.search(tantivy.Query.all_query(), total, count=False).hits
        return [int(i) for i in searcher.fast_field_values("chunk", [address for _, address in hits])]

    # -- search ----------------------------------------------------------------------------

    def search(self, terms: Sequence[str], limit: int, where: Filter | None = None,
               weights: Mapping[str, float] | None = None) -> list[tuple[int, float]]:
        """(chunk id, BM25 score) of the best ``limit`` passages holding any of ``terms``;
        ``weights``: a factor on a term's part of the score (a shard scoring with the whole
        set's term statistics: its idf over the shard's own, see index/shards/fanout.py)."""
        terms = [t for t in dict.fromkeys(terms) if t]
        if not terms or limit <= 0:
            return []
        weights = weights or {}
        parts = []
        for t in terms:
            part = tantivy.Query.term_query(SCHEMA, "text", t, index_option="freq")
            if weights.get(t, 1.0) != 1.0:
                part = tantivy.Query.boost_query(part, float(weights[t]))
            parts.append((tantivy.Occur.Should, part))
        query = tantivy.Query.boolean_query(parts)
        filters = _filters(where)
        if filters:
            query = tantivy.Query.boolean_query([(tantivy.Occur.Must, query)] + [
                (tantivy.Occur.Must, tantivy.Query.const_score_query(f, 0.0)) for f in filters])
        searcher = self.index.searcher()
        hits = searcher.search(query, limit, count=False).hits
        if not hits:
            return []
        ids = searcher.fast_field_values("chunk", [address for _, address in hits])
        return [(int(i), float(score)) for (score, _), i in zip(hits, ids, strict=True)]

    def document_frequencies(self, terms: Iterable[str]) -> dict[str, int]:
        """{term: passages holding it} (tantivy counts deleted passages until a merge drops them)."""
        return self.statistics(terms)[0]

    def statistics(self, terms: Iterable[str]) -> tuple[dict[str, int], int]:
        """({term: passages holding it}, passages): what BM25's idf is computed from, read
        from one searcher."""
        searcher = self.index.searcher()
        return {t: searcher.doc_freq("text", t) for t in sorted(set(terms)) if t}, searcher.num_docs

    # -- writes ----------------------------------------------------------------------------

    def write(self, removed_articles: Iterable[str], added: Iterable[KeywordPassage],
              removed_chunks: Iterable[int] = ()) -> int:
        """Delete the passages of ``removed_articles`` (and those of ``removed_chunks``), then
        add ``added``, in one commit; its opstamp. (Deletes apply to what was there before, so
        an article can be replaced.)"""
        try:
            writer = self.index.writer(heap_size=WRITER_HEAP, num_threads=1)
        except ValueError as exc:
            raise IndexWriteError(f"cannot write the keyword index {self.path} ({exc}): another process may hold "
                                  "it, or the disk is full") from None
        try:
            # a writer killed mid-commit leaves files meta.json does not name (a ``SEGMENT.OPSTAMP.del``
            # the next commit would write again, and fail on): drop them first (we hold the write lock)
            writer.garbage_collect_files()
            for article in removed_articles:
                writer.delete_documents_by_term("article", article)
            for chunk in removed_chunks:
                writer.delete_documents_by_term("chunk", int(chunk))
            for passage in added:
                writer.add_document(passage.document())
            opstamp = writer.commit()
            writer.wait_merging_threads()
        except (ValueError, OSError) as exc:
            try:
                writer.rollback()
            except (ValueError, OSError):
                pass
            raise IndexWriteError(f"cannot write the keyword index {self.path} ({exc}): free some disk space, "
                                  "then run the command again; what was committed before is kept") from None
        self.reload()
        return opstamp


def segment_files(folder: Path, meta: dict) -> list[str]:
    """The files of a tantivy directory that its ``meta`` (meta.json, parsed) uses, meta.json first."""
    segments = [s["segment_id"].replace("-", "") for s in meta.get("segments", [])]
    return ["meta.json"] + sorted(p.name for p in Path(folder).iterdir()
                                  if p.name.split(".")[0] in segments)


def _filters(where: Filter | None) -> list[tantivy.Query]:
    if where is None or not where.active:
        return []
    found = []
    since, until = day_number(where.since), day_number(where.until)
    if since is not None or until is not None:
        found.append(tantivy.Query.range_query(SCHEMA, "day", tantivy.FieldType.Integer, since, until))
    if where.sources:
        found.append(tantivy.Query.term_set_query(SCHEMA, "source", sorted({s.lower() for s in where.sources})))
    return found
