"""The front door of ingest: files and folders, urls, feeds and sitemaps, or a Ray cluster,
each to the one pipeline (:mod:`index.ingestion.pipeline`); removing articles; refreshing the
feeds an index follows."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from index.directory import IndexDir, IndexWriter
from index.embed import Embedder
from index.errors import SettingsError
from index.formats import JsonlFields, discover
from index.ingestion.pipeline import BATCH_CHARS, _model, count_articles, read_all, store_articles
from index.reports import IngestReport, RemoveReport
from index.settings import IndexSettings
from index.store import Feed, Store
from index.web import FetchPolicy, is_url


def ingest(
    paths: Iterable[str | Path],
    settings: IndexSettings | None = None,
    *,
    embedder: Embedder | None = None,
    rebuild: bool = False,
    fields: JsonlFields | None = None,
    progress: bool = False,
    batch_chars: int = BATCH_CHARS,
    ray: str | None = None,
    feeds: Sequence[Feed] = (),
    fetch: FetchPolicy | None = None,
    keep: Callable[[str], bool] | None = None,
) -> IngestReport:
    """Ingest the files under ``paths`` into ``settings.index_dir``.

    A file or line that cannot be read, chunked or embedded is listed in ``failed`` with
    its reason and the rest goes on. Only a failure of the index itself (disk full, a
    damaged database) stops the ingest: it raises, everything committed before stays, and
    the exception's ``report`` says what was done. With ``rebuild``, the new index is
    built beside the old one and replaces it only once complete. With ``ray`` (``local``,
    ``auto`` or a cluster's host:port), reading, parsing, chunking and encoding run on a Ray
    cluster (see :mod:`index.ingestion.cluster`); this process stays the one writer.

    ``paths`` may hold http(s) urls: the page is fetched and read like a saved page (or a
    PDF). ``feeds``: feeds and sitemaps whose new links are fetched; they are remembered in
    the index for :func:`index.ingestion.front.refresh`. ``fetch``: how to fetch (timeouts, robots.txt, private
    addresses; default: :class:`FetchPolicy` with the size limit of ``max_file_mb``). ``keep``:
    only the articles whose id it accepts (one shard's, see :mod:`index.shards`); files only.
    """
    settings = settings or IndexSettings.from_env()
    started = time.perf_counter()
    report = IngestReport()
    try:
        return _ingest(list(paths), settings, report, embedder=embedder, rebuild=rebuild, fields=fields,
                       progress=progress, batch_chars=batch_chars, ray=ray, feeds=feeds, fetch=fetch, keep=keep)
    finally:  # also for the report an index failure carries
        report.seconds = time.perf_counter() - started


def _ingest(paths: list, settings: IndexSettings, report: IngestReport, *, embedder: Embedder | None,
            rebuild: bool, fields: JsonlFields | None, progress: bool, batch_chars: int, ray: str | None,
            feeds: Sequence[Feed], fetch: FetchPolicy | None,
            keep: Callable[[str], bool] | None = None) -> IngestReport:
    """:func:`ingest` to files, the web or a Ray cluster."""
    urls = [str(p) for p in paths if is_url(str(p))]
    files, report.failed = discover([p for p in paths if not is_url(str(p))])
    if urls or feeds:
        if keep is not None:
            raise SettingsError("a shard set ingests files: fetch urls and feeds into one index, or save "
                                "the pages and ingest the files")
        if ray is not None:
            raise SettingsError("--ray reads files; fetch urls and feeds without it (they are fetched one "
                                "at a time here anyway)")
        from index.ingestion.web import ingest_web

        return ingest_web(files, urls, feeds, settings, report, fetch, embedder=embedder, rebuild=rebuild,
                          fields=fields, progress=progress, batch_chars=batch_chars)
    if ray is not None:
        from index.ingestion.cluster import ingest_on_cluster

        return ingest_on_cluster(files, settings, report, address=ray, model=embedder or _model(settings, rebuild),
                                 fields=fields, rebuild=rebuild, progress=progress, batch_chars=batch_chars,
                                 keep=keep)
    articles = read_all(files, fields, settings.max_file_bytes, report)  # streamed, not held
    if keep is not None:
        articles = (article for article in articles if keep(article.id))
    total = count_articles(files) if progress and keep is None else None
    return store_articles(articles, settings, report, embedder=embedder, rebuild=rebuild, progress=progress,
                          batch_chars=batch_chars, total=total)


def remove(targets: Sequence[str], settings: IndexSettings | None = None) -> RemoveReport:
    """Remove articles named by id, or by the file or folder they were ingested from."""
    settings = settings or IndexSettings.from_env()
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


def refresh(settings: IndexSettings | None = None, *, fetch: FetchPolicy | None = None,
            progress: bool = False, embedder: Embedder | None = None) -> IngestReport:
    """Fetch what is new in every feed and sitemap the index follows (conditional requests;
    links already ingested are not fetched again)."""
    settings = settings or IndexSettings.from_env()
    feeds = followed_feeds(settings.index_dir)
    return ingest([], settings, feeds=feeds, fetch=fetch, progress=progress, embedder=embedder)


def followed_feeds(path, named: str = "the index") -> list[Feed]:
    """The feeds and sitemaps the index at ``path`` follows; an error with the fix when none."""
    index_dir = IndexDir(path)
    index_dir.require()
    reader = Store(index_dir.database_path)
    try:
        feeds = reader.feeds()
    finally:
        reader.close()
    if not feeds:
        raise SettingsError(f"{named} at {index_dir.path} follows no feed or sitemap: add one with "
                            "`qa ingest --feed URL` (or --sitemap URL)")
    return feeds
