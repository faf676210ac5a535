"""Articles in and out: read files, chunk, embed and store them; remove them again.

Unchanged articles (same id, same content hash) are skipped without embedding; a
changed article replaces its old version; the same text under a second id is stored
once and reported. Embeddings go through a cache keyed by (model, text hash), so a
rebuild re-embeds nothing it embedded before. Each batch is committed as one generation:
an interrupted ingest keeps the batches it finished, and a re-run completes it.
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
from index.cache import CachedEmbedder, EmbeddingCache
from index.chunker import Chunker
from index.embedder import Embedder, load_embedder
from index.errors import ArticleError
from index.layout import IndexDir, model_for
from index.loaders import JsonlFields, discover, read_articles
from index.settings import Settings
from index.tokens import get_encoding
from index.writer import Addition, IndexWriter

log = logging.getLogger(__name__)

BATCH_CHARS = 400_000  # article text per commit: about 100k tokens, a few hundred chunks


@dataclass
class IngestReport:
    """What an ingest did, article by article."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (article id, reason)
    failed: list[ArticleError] = field(default_factory=list)
    chunks: int = 0  # chunks written
    sentences: int = 0  # sentences written
    embedded: int = 0  # texts that went through the model
    reused: int = 0  # texts whose vectors came from the embedding cache
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.failed

    def summary(self) -> str:
        return (f"{len(self.added)} added, {len(self.updated)} updated, {len(self.unchanged)} unchanged, "
                f"{len(self.skipped)} skipped, {len(self.failed)} failed; {self.chunks} chunks written, "
                f"{self.embedded} texts embedded, {self.reused} from the cache, in {self.seconds:.1f}s")


@dataclass
class RemoveReport:
    removed: list[str] = field(default_factory=list)  # article ids
    not_found: list[str] = field(default_factory=list)  # targets that named nothing

    @property
    def ok(self) -> bool:
        return not self.not_found


def ingest(
    paths: Iterable[str | Path],
    settings: Settings | None = None,
    *,
    embedder: Embedder | None = None,
    rebuild: bool = False,
    fields: JsonlFields | None = None,
    progress: bool = False,
    batch_chars: int = BATCH_CHARS,
) -> IngestReport:
    """Ingest the files under ``paths`` into ``settings.index_dir``."""
    settings = settings or Settings.from_env()
    started = time.perf_counter()
    report = IngestReport()
    files, report.failed = discover(paths)
    articles = _read_all(files, fields, settings.max_file_mb * 1_000_000, report)
    embedder = embedder or load_embedder(model_for(settings), settings.offline, settings.device)
    chunker = Chunker(get_encoding(settings.encoding), settings.chunk_tokens, settings.chunk_overlap,
                      embedder.count_tokens, embedder.max_seq_length)
    index_dir = IndexDir(settings.index_dir)
    with index_dir.write_lock():
        if rebuild:
            index_dir.clear()
        writer = IndexWriter(index_dir, settings, embedder)
        cache = EmbeddingCache(index_dir.cache_path)
        cached = CachedEmbedder(embedder, cache)
        try:
            todo = _plan(articles, writer, report)
            with tqdm(total=sum(len(a.text) for a, _ in todo), unit="char", unit_scale=True,
                      disable=not progress, desc="ingest") as bar:
                for batch in _batches(todo, batch_chars):
                    _ingest_batch(batch, writer, chunker, cached, settings.batch_size, report)
                    bar.update(sum(len(a.text) for a, _ in batch))
        finally:
            report.embedded, report.reused = cached.embedded, cached.reused
            cache.close()
            writer.close()
    report.seconds = time.perf_counter() - started
    log.info("ingest: %s", report.summary())
    return report


def remove(targets: Sequence[str], settings: Settings | None = None) -> RemoveReport:
    """Remove articles named by id, or by the file or folder they were ingested from."""
    settings = settings or Settings.from_env()
    index_dir = IndexDir(settings.index_dir)
    index_dir.require()
    report = RemoveReport()
    with index_dir.write_lock():
        writer = IndexWriter(index_dir, settings, embedder=None)
        try:
            for target in targets:
                ids = writer.store.find_articles(str(target))
                if not ids:
                    report.not_found.append(str(target))
                report.removed += [i for i in ids if i not in report.removed]
            writer.apply(removals=report.removed)
        finally:
            writer.close()
    return report


def _read_all(files: Sequence[Path], fields: JsonlFields | None, max_bytes: int,
              report: IngestReport) -> list[Article]:
    articles: list[Article] = []
    for path in files:
        for item in read_articles(path, fields, max_bytes):
            if isinstance(item, ArticleError):
                log.info("failed: %s", item)
                report.failed.append(item)
            else:
                articles.append(item)
    return articles


def _plan(articles: list[Article], writer: IndexWriter, report: IngestReport) -> list[tuple[Article, bool]]:
    """(article, replaces an old version) for each article that needs storing."""
    todo: list[tuple[Article, bool]] = []
    seen_ids: dict[str, str] = {}
    seen_hashes: dict[str, str] = {}
    for article in articles:
        if article.id in seen_ids:
            report.failed.append(ArticleError(
                article.origin or article.id,
                f"article id {article.id!r} is already used by {seen_ids[article.id]} in this batch"))
            continue
        seen_ids[article.id] = article.origin or article.id
        stored_hash = writer.store.article_hash(article.id)
        if stored_hash == article.content_hash:
            report.unchanged.append(article.id)
            continue
        twin = seen_hashes.get(article.content_hash) or writer.store.article_with_hash(article.content_hash)
        if twin is not None and twin != article.id:
            report.skipped.append((article.id, f"same text as {twin}, stored once"))
            continue
        seen_hashes[article.content_hash] = article.id
        todo.append((article, stored_hash is not None))
    return todo


def _batches(todo: list[tuple[Article, bool]], batch_chars: int):
    batch, size = [], 0
    for item in todo:
        batch.append(item)
        size += len(item[0].text)
        if size >= batch_chars:
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
        chunk_vectors = np.ascontiguousarray(vectors[offset : offset + n_chunks])
        sentence_vectors = vectors[offset + n_chunks : offset + n_chunks + n_sentences]
        offset += n_chunks + n_sentences
        additions.append(Addition(article, parts, chunk_vectors, sentence_vectors))
    writer.apply(additions, removals=[article.id for article, replaces in batch if replaces])
    for article, replaces in batch:
        (report.updated if replaces else report.added).append(article.id)
    report.chunks += sum(len(p.chunks) for p in chunked)
    report.sentences += sum(len(p.sentences) for p in chunked)
