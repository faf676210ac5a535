"""Articles in: read files, chunk, embed, and store them in an index directory.

Unchanged articles (same id, same content hash) are skipped without embedding; a
changed article replaces its old version; the same text under a second id is stored
once and reported as a duplicate. Each batch is committed as one generation, so an
interrupted ingest keeps what it finished and a re-run completes it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from index.articles import Article
from index.chunker import Chunker
from index.embedder import Embedder, load_embedder
from index.errors import ArticleError
from index.layout import IndexDir
from index.loaders import JsonlFields, discover, read_articles
from index.settings import Settings
from index.tokens import get_encoding
from index.writer import Addition, IndexWriter

log = logging.getLogger(__name__)

BATCH_CHARS = 400_000  # text per commit: about 100k tokens, a few hundred chunks


@dataclass
class IngestReport:
    """What an ingest did, article by article."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    duplicates: list[tuple[str, str]] = field(default_factory=list)  # (skipped id, stored id)
    failed: list[ArticleError] = field(default_factory=list)
    chunks: int = 0
    sentences: int = 0
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.failed

    def summary(self) -> str:
        return (f"{len(self.added)} added, {len(self.updated)} updated, {len(self.unchanged)} unchanged, "
                f"{len(self.duplicates)} duplicate, {len(self.failed)} failed; {self.chunks} chunks "
                f"embedded in {self.seconds:.1f}s")


def ingest(
    paths: Iterable[str | Path],
    settings: Settings | None = None,
    *,
    embedder: Embedder | None = None,
    rebuild: bool = False,
    fields: JsonlFields | None = None,
    progress: bool = False,
) -> IngestReport:
    """Ingest the files under ``paths`` into ``settings.index_dir``."""
    settings = settings or Settings.from_env()
    started = time.perf_counter()
    report = IngestReport()
    files, report.failed = discover(paths)
    articles = _read_all(files, fields, report)
    embedder = embedder or load_embedder(settings.model, settings.offline, settings.device)
    chunker = Chunker(get_encoding(settings.encoding), settings.chunk_tokens, settings.chunk_overlap,
                      embedder.count_tokens, embedder.max_seq_length)
    index_dir = IndexDir(settings.index_dir)
    with index_dir.write_lock():
        if rebuild:
            index_dir.clear()
        writer = IndexWriter(index_dir, settings, embedder)
        try:
            todo = _plan(articles, writer, report)
            with tqdm(total=len(todo), unit="article", disable=not progress, desc="ingest") as bar:
                for batch in _batches(todo):
                    _ingest_batch(batch, writer, chunker, embedder, settings.batch_size, report)
                    bar.update(len(batch))
        finally:
            writer.close()
    report.seconds = time.perf_counter() - started
    log.info("ingest: %s", report.summary())
    return report


def _read_all(files: Sequence[Path], fields: JsonlFields | None, report: IngestReport) -> list[Article]:
    articles: list[Article] = []
    for path in files:
        for item in read_articles(path, fields):
            if isinstance(item, ArticleError):
                log.warning("skipped %s", item)
                report.failed.append(item)
            else:
                articles.append(item)
    return articles


def _plan(articles: list[Article], writer: IndexWriter, report: IngestReport) -> list[tuple[Article, bool]]:
    """(article, replaces an old version) for each article that needs embedding."""
    todo: list[tuple[Article, bool]] = []
    seen_ids: set[str] = set()
    seen_hashes: dict[str, str] = {}
    for article in articles:
        if article.id in seen_ids:
            report.failed.append(ArticleError(article.origin or article.id,
                                              f"article id {article.id!r} appears twice in this batch"))
            continue
        seen_ids.add(article.id)
        stored_hash = writer.store.article_hash(article.id)
        if stored_hash == article.content_hash:
            report.unchanged.append(article.id)
            continue
        twin = seen_hashes.get(article.content_hash) or writer.store.article_with_hash(article.content_hash)
        if twin is not None and twin != article.id:
            report.duplicates.append((article.id, twin))
            continue
        seen_hashes[article.content_hash] = article.id
        todo.append((article, stored_hash is not None))
    return todo


def _batches(todo: list[tuple[Article, bool]]):
    batch, size = [], 0
    for item in todo:
        batch.append(item)
        size += len(item[0].text)
        if size >= BATCH_CHARS:
            yield batch
            batch, size = [], 0
    if batch:
        yield batch


def _ingest_batch(batch, writer: IndexWriter, chunker: Chunker, embedder: Embedder,
                  batch_size: int, report: IngestReport) -> None:
    chunked = [chunker.chunk(article.text) for article, _ in batch]
    texts: list[str] = []
    for (article, _), parts in zip(batch, chunked):
        texts += [c.text for c in parts.chunks]
        texts += [s.of(article.text) for s in parts.sentences]
    vectors = embedder.embed(texts, batch_size=batch_size)
    additions, offset = [], 0
    for (article, _), parts in zip(batch, chunked):
        n_chunks, n_sentences = len(parts.chunks), len(parts.sentences)
        chunk_vectors = vectors[offset : offset + n_chunks]
        sentence_vectors = vectors[offset + n_chunks : offset + n_chunks + n_sentences]
        offset += n_chunks + n_sentences
        additions.append(Addition(article, parts, np.ascontiguousarray(chunk_vectors), sentence_vectors))
    writer.apply(additions, removals=[article.id for article, replaces in batch if replaces])
    for article, replaces in batch:
        (report.updated if replaces else report.added).append(article.id)
    report.chunks += sum(len(p.chunks) for p in chunked)
    report.sentences += sum(len(p.sentences) for p in chunked)
