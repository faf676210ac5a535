"""The public Python API: a few functions over :class:`qa.retriever.Index`."""

from __future__ import annotations

import threading
from collections.abc import Iterable
from pathlib import Path

from index import (
    ArticleSummary,
    BackupReport,
    CheckReport,
    CompactReport,
    Feed,
    FetchPolicy,
    IngestReport,
    JsonlFields,
    RemoveReport,
    RepairReport,
    backup_set,
    check_index,
    check_set,
    compact_set,
    ingest_set,
    is_shard_set,
    open_any,
    refresh_set,
    remove_set,
    repair_set,
)
from index import backup as _backup
from index import compact as _compact
from index import ingest as _ingest
from index import refresh as _refresh
from index import remove as _remove
from index import repair as _repair
from qa.retriever import Index
from qa.search import Answer, Passage
from qa.settings import Settings

_open: dict[tuple[Path, str | None], Index] = {}
_open_lock = threading.Lock()


def open_index(path: str | Path | None = None, *, settings: Settings | None = None) -> Index:
    """Open an index (default: ``QA_INDEX_DIR`` or ``./index-data``) and load its model."""
    return Index.open(path, settings=settings)


def retrieve(question: str, k: int | None = None, index_dir: str | Path | None = None, **options) -> list[Passage]:
    """The ``k`` passages that best answer ``question``, best first (``k``: ``QA_TOP_K``, else 5).

    ``options`` are :meth:`Index.retrieve`'s (``since``, ``until``, ``sources``, ``order_by``,
    ``prefer_recent``, ``as_of``, ``method``). The index and model stay loaded between calls
    (one per index directory); use :func:`open_index` to manage that yourself.
    """
    return _cached(index_dir).retrieve(question, k, **options)


def ask(question: str, k: int | None = None, index_dir: str | Path | None = None, *, history=(),
        **options) -> Answer:
    """Like :func:`retrieve`, plus whether the archive answers it: the short answer first
    (see :meth:`Index.ask`; ``history``: the conversation so far, for follow-ups)."""
    return _cached(index_dir).ask(question, k, history=history, **options)


def _cached(index_dir: str | Path | None) -> Index:
    settings = Settings.from_env(index_dir=index_dir)
    key = (settings.index_dir.resolve(), settings.model)  # None: the index's own model
    with _open_lock:
        index = _open.get(key)
        if index is None:
            index = _open[key] = Index.open(settings=settings)
    return index


def ingest(paths: str | Path | Iterable[str | Path], index_dir: str | Path | None = None, *,
           settings: Settings | None = None, rebuild: bool = False, fields: JsonlFields | None = None,
           progress: bool = False, ray: str | None = None, feeds: Iterable[Feed] = (),
           fetch: FetchPolicy | None = None, shards: int | None = None) -> IngestReport:
    """Add the articles under ``paths`` (files or folders) to the index; a report of what happened.

    ``ray``: run reading, parsing, chunking and encoding on a Ray cluster (``"local"`` starts
    one on this machine, ``"auto"`` finds the running one, or the head's ``host:port``);
    needs the ``cluster`` extra. ``paths`` may hold http(s) urls of pages; ``feeds``: RSS/Atom
    feeds and sitemaps (``Feed(url, "feed" | "sitemap")``) to ingest from and follow (see
    :func:`refresh`); ``fetch``: timeouts, robots.txt and private addresses (``FetchPolicy``).
    ``shards``: make ``index_dir`` (new) a set of that many shards, each article in the one its
    id hashes to; an existing shard set is written shard by shard without it (files only).
    """
    if isinstance(paths, (str, Path)):
        paths = [paths]
    settings = (settings or Settings.from_env()).replace(index_dir=index_dir)
    if shards is not None or is_shard_set(settings.index_dir):
        return ingest_set(paths, settings, shards, rebuild=rebuild, fields=fields, progress=progress, ray=ray,
                          feeds=list(feeds), fetch=fetch)
    return _ingest(paths, settings, rebuild=rebuild, fields=fields, progress=progress, ray=ray, feeds=list(feeds),
                   fetch=fetch)


def refresh(index_dir: str | Path | None = None, *, settings: Settings | None = None,
            fetch: FetchPolicy | None = None, progress: bool = False) -> IngestReport:
    """Fetch the new articles of every feed and sitemap the index follows."""
    settings = (settings or Settings.from_env()).replace(index_dir=index_dir)
    if is_shard_set(settings.index_dir):
        return refresh_set(settings, fetch=fetch, progress=progress)
    return _refresh(settings, fetch=fetch, progress=progress)


def remove(targets: str | Path | Iterable[str | Path], index_dir: str | Path | None = None, *,
           settings: Settings | None = None) -> RemoveReport:
    """Remove articles by id, or by the file or folder they were ingested from.

    Afterwards no passage of theirs is returned, also by indexes that are already open.
    """
    if isinstance(targets, (str, Path)):
        targets = [targets]
    settings = (settings or Settings.from_env()).replace(index_dir=index_dir)
    if is_shard_set(settings.index_dir):
        return remove_set([str(t) for t in targets], settings)
    return _remove([str(t) for t in targets], settings)


def check(index_dir: str | Path | None = None, *, settings: Settings | None = None) -> CheckReport:
    """Check every part of the index (reads it all); the problems found, each with its fix."""
    settings = (settings or Settings.from_env()).replace(index_dir=index_dir)
    return check_set(settings.index_dir) if is_shard_set(settings.index_dir) else check_index(settings.index_dir)


def repair(index_dir: str | Path | None = None, *, settings: Settings | None = None,
           progress: bool = False) -> RepairReport:
    """Rebuild what can be rebuilt from what is intact (no original file needed, no article deleted)."""
    settings = (settings or Settings.from_env()).replace(index_dir=index_dir)
    if is_shard_set(settings.index_dir):
        return repair_set(settings, progress=progress)
    return _repair(settings, progress=progress)


def compact(index_dir: str | Path | None = None, *, settings: Settings | None = None) -> CompactReport:
    """Merge the index's vector segments into one (approximate search past a size), dropping the
    vectors of removed articles; readers follow on their next question."""
    settings = (settings or Settings.from_env()).replace(index_dir=index_dir)
    if is_shard_set(settings.index_dir):
        return compact_set(settings)
    return _compact(settings)


def backup(dest: str | Path, index_dir: str | Path | None = None, *, settings: Settings | None = None,
           cache: bool = True) -> BackupReport:
    """Copy the index to ``dest`` (new, or an empty directory) while it serves and ingests: one
    committed generation, checked whole before it appears at ``dest``. ``cache=False`` leaves
    the embedding cache out."""
    settings = (settings or Settings.from_env()).replace(index_dir=index_dir)
    if is_shard_set(settings.index_dir):
        return backup_set(settings, dest, cache=cache)
    return _backup(settings, dest, cache=cache)


def list_articles(index_dir: str | Path | None = None, *, settings: Settings | None = None) -> list[ArticleSummary]:
    """Every article in the index, newest first; no model is loaded."""
    settings = (settings or Settings.from_env()).replace(index_dir=index_dir)
    reader = open_any(settings.index_dir)
    try:
        return reader.articles()
    finally:
        reader.close()
