"""Articles in and out: read files, chunk, embed and store them; remove them again.

Unchanged articles (same id, same content hash) are skipped without embedding; a
changed article replaces its old version; the same text under a second id is stored
once and reported. Embeddings go through a cache keyed by (model, text hash), so a
rebuild re-embeds nothing it embedded before. Each batch is committed as one generation:
an interrupted ingest keeps the batches it finished, and a re-run completes it.
"""

from __future__ import annotations

import logging
import shutil
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import TypeVar

import numpy as np
from tqdm.auto import tqdm

from index.directory import Addition, IndexDir, IndexWriter, beside, model_for, remove_leftovers, swap_in
from index.embed import DEFAULT_MODEL, CachedEmbedder, Embedder, EmbeddingCache, load_embedder
from index.errors import ArticleError, QAError, TextTooLongError
from index.formats import JsonlFields, read_articles, unexpected
from index.reports import IngestReport, Notice
from index.settings import IndexSettings
from index.text import Article, Chunker, get_encoding

log = logging.getLogger(__name__)
T = TypeVar("T")

BATCH_CHARS = 400_000  # article text per commit: about 100k tokens, a few hundred chunks


def store_articles(articles: Iterable[Article], settings: IndexSettings, report: IngestReport | None = None, *,
                   embedder: Embedder | None = None, rebuild: bool = False, progress: bool = False,
                   batch_chars: int = BATCH_CHARS, total: int | None = None) -> IngestReport:
    """Chunk, embed and store ``articles`` (the second half of :func:`ingest`); ``total``: how
    many there are, when known (the progress bar's total, and its time left)."""
    embedder = embedder or load_embedder(_model(settings, rebuild), settings.offline, settings.device)
    index_dir = IndexDir(settings.index_dir)
    with index_dir.write_lock():
        return store_articles_locked(index_dir, articles, settings, report, embedder=embedder, rebuild=rebuild,
                                     progress=progress, batch_chars=batch_chars, total=total)


def store_articles_locked(index_dir: IndexDir, articles: Iterable[Article], settings: IndexSettings,
                          report: IngestReport | None = None, *, embedder: Embedder, rebuild: bool = False,
                          progress: bool = False, batch_chars: int = BATCH_CHARS,
                          total: int | None = None) -> IngestReport:
    """:func:`store_articles` for a caller that holds the index's write lock."""
    report = report or IngestReport()
    chunker = Chunker(get_encoding(settings.encoding), settings.chunk_tokens, settings.chunk_overlap,
                      embedder.count_tokens, embedder.max_seq_length)

    def store(writer: IndexWriter, cache: EmbeddingCache) -> None:
        cached = CachedEmbedder(embedder, cache)
        try:
            todo = plan(articles, writer, report)  # a generator: articles are read as they are stored
            pooled = writer.manifest.sentence_vectors == "pooled"
            with tqdm(total=total, unit=" articles", disable=not progress, desc="ingest") as bar:
                def done(article: Article) -> None:  # "ingest · harbour.md · 30 s left: 12/40"
                    bar.update(1)
                    bar.set_description(progress_line(Path(article.origin or article.id).name, bar.format_dict),
                                        refresh=False)

                for batch in batches(counted(todo, report, bar), batch_chars, lambda article: article):
                    additions = encode([article for article, _ in batch], chunker, cached, settings.batch_size,
                                       report.failed, pooled, done)
                    commit(writer, additions, {article.id for article, replaces in batch if replaces}, report)
        finally:
            report.embedded, report.reused = report.embedded + cached.embedded, report.reused + cached.reused

    return write_index(index_dir, settings, report, embedder, store, rebuild=rebuild)


def write_index(index_dir: IndexDir, settings: IndexSettings, report: IngestReport, embedder: Embedder,
                store: Callable[[IndexWriter, EmbeddingCache], None], *, rebuild: bool = False) -> IngestReport:
    """Run ``store(writer, cache)`` on the index (or, with ``rebuild``, on a new one beside it that
    replaces it once complete); the cache notes and the failure's report are recorded (the
    time: by the front door, :func:`index.ingestion.ingest`)."""
    remove_leftovers(index_dir)
    target = beside(index_dir) if rebuild else index_dir
    cache = EmbeddingCache(index_dir.cache_path)
    try:
        writer = IndexWriter(target, settings, embedder)
        try:
            store(writer, cache)
        finally:
            writer.close()
    except BaseException as exc:
        if rebuild:
            shutil.rmtree(target.path, ignore_errors=True)  # the old index was never touched
        if isinstance(exc, (QAError, KeyboardInterrupt)):
            exc.report = report  # what was committed before it stopped
        raise
    finally:
        report.warnings += [Notice(str(cache.path), note) for note in cache.notes]
        cache.close()
    if rebuild:
        swap_in(index_dir, target)
    log.info("ingest: %s", report.summary())
    return report


def _model(settings: IndexSettings, rebuild: bool) -> str:
    """The model to embed with; a rebuild does not need the old index to be readable."""
    try:
        return model_for(settings)
    except QAError:
        if rebuild:
            return settings.model or DEFAULT_MODEL
        raise


COUNT_LINES_UP_TO = 2_000_000_000  # bytes of JSON Lines counted for the progress bar's total


def count_articles(files: Sequence[Path]) -> int | None:
    """How many articles ``files`` hold, for the progress bar: a line of JSON Lines each, one
    per other file (None when the JSON Lines are too large to count quickly)."""
    total, lines_bytes = 0, 0
    for path in files:
        if path.suffix.lower() != ".jsonl":
            total += 1
            continue
        try:
            lines_bytes += path.stat().st_size
            if lines_bytes > COUNT_LINES_UP_TO:
                return None
            with open(path, "rb") as handle:
                total += sum(1 for line in handle if line.strip())
        except OSError:
            total += 1  # reading it will fail, and say why
    return total


def read_all(files: Sequence[Path], fields: JsonlFields | None, max_bytes: int,
              report: IngestReport) -> Iterator[Article]:
    """The articles of ``files``, one at a time (a 10 GB JSON Lines file is never held whole)."""
    for path in files:
        try:
            for item in read_articles(path, fields, max_bytes):
                if isinstance(item, ArticleError):
                    log.info("failed: %s", item)
                    report.failed.append(item)
                else:
                    report.warnings += [Notice(item.origin or item.id, note) for note in item.notes]
                    yield item
        except Exception as exc:  # reading the file itself broke off (an I/O error...): this file only
            report.failed.append(ArticleError(str(path), unexpected(exc)))


def plan(items: Iterable[T], writer: IndexWriter, report: IngestReport,
          article_of: Callable[[T], Article] = lambda item: item) -> Iterator[tuple[T, bool]]:
    """(item, replaces an old version) for each article (or item holding one) that needs
    storing, as they come: unchanged ones, a second use of an id and a second copy of a
    text are recorded in ``report`` instead."""
    seen_ids: dict[str, str] = {}
    seen_hashes: dict[str, str] = {}
    for item in items:
        article = article_of(item)
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
        yield item, stored_hash is not None


def progress_line(name: str, state: dict) -> str:
    """The bar's words: what is being stored and, once there is a rate and a total, the time
    left ("ingest · harbour.md · 30 s left"): the web page shows these words beside the count."""
    words = f"ingest · {name[:40]}"
    n, total, elapsed = state.get("n") or 0, state.get("total"), state.get("elapsed") or 0
    if total and n and elapsed:
        left = (total - n) * elapsed / n
        words += f" · {left:.0f} s left" if left < 120 else f" · {left / 60:.0f} min left"
    return words


def counted(todo: Iterable[tuple[T, bool]], report: IngestReport, bar) -> Iterator[tuple[T, bool]]:
    """``todo`` as it comes; the articles that need no storing (unchanged, skipped, failed to
    read) advance the bar too, so its count reaches its total."""
    def settled() -> int:
        return len(report.unchanged) + len(report.skipped) + len(report.failed)

    items = iter(todo)
    while True:
        before = settled()  # only what reading and planning the next article settled (not encoding)
        try:
            item = next(items)
        except StopIteration:
            bar.update(settled() - before)
            return
        bar.update(settled() - before)
        yield item


def batches(todo: Iterable[tuple[T, bool]], batch_chars: int, article_of: Callable[[T], Article]):
    batch, size = [], 0
    for item in todo:
        batch.append(item)
        size += len(article_of(item[0]).text)
        if size >= batch_chars:
            yield batch
            batch, size = [], 0
    if batch:
        yield batch


EMBED_GROUP_CHARS = 20_000  # articles embedded together between two steps of the progress bar


def encode(articles: Sequence[Article], chunker: Chunker, embedder: Embedder, batch_size: int,
           failed: list[ArticleError], pooled: bool = False,
           done: Callable[[Article], None] | None = None) -> list[Addition]:
    """Chunk and embed ``articles``; one that cannot be chunked or embedded goes to ``failed``
    (its old version, if any, stays). ``done`` is called for each article once it is
    embedded (or has failed), a few articles at a time."""
    additions, group, size = [], [], 0

    def flush() -> None:
        nonlocal group, size
        additions.extend(_embed(group, embedder, batch_size, failed, pooled))
        for article, _, _ in group:
            if done:
                done(article)
        group, size = [], 0

    for article in articles:
        try:
            group.append((article, None, chunker.chunk(article.text)))
            size += len(article.text)
        except Exception as exc:
            failed.append(ArticleError(article.origin or article.id, f"cannot chunk it: {unexpected(exc)}"))
            if done:
                done(article)
        if size >= EMBED_GROUP_CHARS:
            flush()
    if group:
        flush()
    return additions


def commit(writer: IndexWriter, additions: Sequence[Addition], replacing: set[str], report: IngestReport) -> None:
    """Store ``additions`` as one generation; the old versions of ``replacing`` go with it."""
    if not additions:
        return
    writer.apply(additions, removals=[a.article.id for a in additions if a.article.id in replacing])
    for addition in additions:
        (report.updated if addition.article.id in replacing else report.added).append(addition.article.id)
        report.chunks += len(addition.chunked.chunks)
        report.sentences += len(addition.chunked.sentences)


def _embed(chunked, embedder: Embedder, batch_size: int, failed: list[ArticleError], pooled: bool) -> list[Addition]:
    """Additions for the chunked articles; one that cannot be embedded is its own failure."""
    if len(chunked) > 1:
        try:
            return _additions(chunked, embedder, batch_size, pooled)
        except Exception as exc:
            if _stops_everything(exc):
                raise
    additions = []
    for item in chunked:  # one by one, to find the one(s) that fail
        try:
            additions += _additions([item], embedder, batch_size, pooled)
        except Exception as exc:
            if _stops_everything(exc):
                raise
            article = item[0]
            failed.append(ArticleError(article.origin or article.id, f"cannot embed it: {_reason(exc)}"))
    return additions


def _additions(chunked, embedder: Embedder, batch_size: int, pooled: bool = False) -> list[Addition]:
    if pooled:
        return _pooled_additions(chunked, embedder, batch_size)
    texts: list[str] = []
    for article, _, parts in chunked:
        texts += [c.text for c in parts.chunks]
        texts += [s.of(article.text) for s in parts.sentences]
    vectors = embedder.embed(texts, batch_size=batch_size)
    additions, offset = [], 0
    for article, _, parts in chunked:
        n_chunks, n_sentences = len(parts.chunks), len(parts.sentences)
        chunk_vectors = np.ascontiguousarray(vectors[offset : offset + n_chunks])
        sentence_vectors = vectors[offset + n_chunks : offset + n_chunks + n_sentences]
        offset += n_chunks + n_sentences
        additions.append(Addition(article, parts, chunk_vectors, sentence_vectors))
    return additions


def _pooled_additions(chunked, embedder, batch_size: int) -> list[Addition]:
    """Additions from one model pass per chunk: each sentence's vector is pooled from the
    first chunk that holds it."""
    texts, spans, owners = [], [], []  # owners: per chunk, the article sentences it pools
    for _article, _, parts in chunked:
        pooled_by = {}
        for chunk in parts.chunks:
            mine = [i for i in range(chunk.first_sentence, chunk.last_sentence) if i not in pooled_by]
            for i in mine:
                pooled_by[i] = len(texts)
            texts.append(chunk.text)
            spans.append([(parts.sentences[i].start - chunk.start, parts.sentences[i].end - chunk.start)
                          for i in mine])
            owners.append(mine)
    chunk_vectors, pooled = embedder.embed_chunks(texts, spans, batch_size=batch_size)
    additions, offset = [], 0
    for article, _, parts in chunked:
        n = len(parts.chunks)
        sentence_vectors = np.zeros((len(parts.sentences), embedder.dimension), dtype=np.float32)
        for c in range(offset, offset + n):
            for k, i in enumerate(owners[c]):
                sentence_vectors[i] = pooled[c][k]
        additions.append(Addition(article, parts, np.ascontiguousarray(chunk_vectors[offset : offset + n]),
                                  sentence_vectors))
        offset += n
    return additions


def _stops_everything(exc: BaseException) -> bool:
    """An error of the model or the index, not of one article."""
    return isinstance(exc, QAError) and not isinstance(exc, (ArticleError, TextTooLongError))


def _reason(exc: BaseException) -> str:
    return str(exc) if isinstance(exc, QAError) else unexpected(exc)
