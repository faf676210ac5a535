"""Writing and keeping a shard set: ingest, remove, check, repair, compact and back up.

Each is the one-index operation run on every shard in turn (each shard keeps its own write
lock, generations and crash safety), with the reports merged into the one-index report
types, so the CLI and the Python API show a set as they show an index. A problem of one
shard is named with the shard and the fix for that shard's directory.
"""

from __future__ import annotations

import logging
import os
import shutil
import time
from collections.abc import Iterable, Sequence
from pathlib import Path

from index.directory import IndexDir
from index.embed import DEFAULT_MODEL, Embedder, load_embedder
from index.errors import IndexWriteError, SettingsError, ShardSetError
from index.ingestion import fetch_web, followed_feeds, ingest, remove, save_feeds, store_articles
from index.maintenance import (
    BackupReport,
    CheckReport,
    CompactReport,
    Problem,
    RepairReport,
    backup,
    check_index,
    compact,
    repair,
)
from index.reports import IngestReport, RemoveReport
from index.settings import IndexSettings
from index.shards.shardset import (
    SHARDS_FILE,
    ShardFilter,
    ShardSet,
    check_count,
    create_shard_set,
    is_shard_set,
    read_shard_set,
    shard_of,
)
from index.store import Feed
from index.web import FetchPolicy, is_url

log = logging.getLogger(__name__)


def shard_set_for(settings: IndexSettings, count: int | None, model: str | None = None) -> ShardSet:
    """The set at ``settings.index_dir``; created with ``count`` shards (and ``model``, else the
    settings' or the default one) when the folder is new."""
    path = Path(settings.index_dir)
    model = model or settings.model
    if is_shard_set(path):
        shards = read_shard_set(path)
        if count is not None and count != shards.count:
            raise SettingsError(f"--shards {count}: {path} is a set of {shards.count} shards; drop --shards (or "
                                f"use --shards {shards.count}), or re-shard into a new directory")
        if model and model != shards.model:
            raise SettingsError(f"the shard set {path} was built with model {shards.model!r}, not "
                                f"{model!r}: use --model {shards.model}, or shard into a new directory")
        return shards
    if count is None:
        raise ShardSetError(f"{path} is not a shard set (no {SHARDS_FILE}): create one with "
                            f"`qa ingest PATHS --shards N --index-dir {path}`")
    if IndexDir(path).exists():
        raise SettingsError(f"--shards {count}: {path} already holds one index; shard its articles into a new "
                            f"directory (`qa ingest FILES --shards {count} --index-dir {path}-shards`)")
    return create_shard_set(path, check_count(count), model or DEFAULT_MODEL)


def ingest_set(paths: Iterable, settings: IndexSettings, count: int | None = None, *,
               embedder: Embedder | None = None, rebuild: bool = False, ray: str | None = None,
               feeds: Sequence[Feed] = (), fetch: FetchPolicy | None = None, **options) -> IngestReport:
    """Each article of ``paths`` into its shard (the model is loaded once for all of them). Urls
    and the new links of ``feeds`` are fetched once, before any shard is written (links any shard
    holds are not fetched again); the feeds are remembered by the first shard."""
    paths = list(paths)
    shards = shard_set_for(settings, count, embedder.model_id if embedder is not None else None)
    urls = [str(p) for p in paths if is_url(str(p))]
    files = [p for p in paths if not is_url(str(p))]
    merged = IngestReport()
    started = time.perf_counter()
    fetched, states = [], []
    if urls or feeds:
        if ray is not None:
            raise SettingsError("--ray reads files; fetch urls and feeds without it (they are fetched one "
                                "at a time here anyway)")
        fetched, states = fetch_web(urls, feeds, [IndexDir(d).database_path for d in shards.dirs],
                                    fetch or FetchPolicy.for_settings(settings), merged)
    if ray is None and embedder is None:
        embedder = load_embedder(shards.model, settings.offline, settings.device)
    for at, folder in enumerate(shards.dirs):
        log.info("shard %s: its articles of %d path(s)", shards.names[at], len(paths))
        here = settings.replace(index_dir=folder, model=shards.model)
        part = ingest(files, here, embedder=embedder, rebuild=rebuild, ray=ray, keep=ShardFilter(at, shards.count),
                      **options)
        mine = [a for a in fetched if shard_of(a.id, shards.count) == at]
        if mine:
            store_articles(mine, here, part, embedder=embedder)
        _merge(merged, part)
    save_feeds(settings.replace(index_dir=shards.dirs[0], model=shards.model), states)
    merged.seconds = time.perf_counter() - started
    return merged


def refresh_set(settings: IndexSettings, fetch: FetchPolicy | None = None, progress: bool = False,
                embedder: Embedder | None = None) -> IngestReport:
    """Fetch what is new in every feed and sitemap the set follows (remembered by its first shard)."""
    shards = read_shard_set(settings.index_dir)
    feeds = followed_feeds(shards.dirs[0], named=f"the shard set {shards.path} (its first shard)")
    return ingest_set([], settings, feeds=feeds, fetch=fetch, progress=progress, embedder=embedder)


def _merge(into: IngestReport, part: IngestReport) -> None:
    """Each pass reads every file: a file that cannot be read fails once, not once per shard."""
    for name in ("added", "updated", "unchanged", "skipped"):
        getattr(into, name).extend(getattr(part, name))
    seen = {(f.source, f.reason, f.line) for f in into.failed}
    into.failed += [f for f in part.failed if (f.source, f.reason, f.line) not in seen]
    into.warnings += [w for w in part.warnings if w not in into.warnings]
    for name in ("chunks", "sentences", "embedded", "reused"):
        setattr(into, name, getattr(into, name) + getattr(part, name))


def remove_set(targets: list[str], settings: IndexSettings) -> RemoveReport:
    """Remove articles by id (found in their shard) or by origin (asked of every shard)."""
    shards = read_shard_set(settings.index_dir)
    report = RemoveReport()
    found: set[str] = set()
    for folder in shards.dirs:
        part = remove(targets, settings.replace(index_dir=folder))
        report.removed += part.removed
        found |= set(targets) - set(part.not_found)
    report.not_found = [t for t in targets if t not in found]
    return report


def check_set(path) -> CheckReport:
    """Every shard checked; its problems named with the shard, and a missing or foreign shard."""
    shards = read_shard_set(path)
    report = CheckReport(str(shards.path))
    for name, folder in zip(shards.names, shards.dirs):
        if not IndexDir(folder).exists():
            report.problems.append(Problem("manifest", f"shard {name} is missing ({folder} holds no index)",
                                           f"restore it from a backup of the set, or ingest its articles "
                                           f"again: `qa ingest PATHS --index-dir {shards.path}`", False))
            continue
        part = check_index(folder)
        model = _model_of(folder)
        if model is not None and model != shards.model:
            report.problems.append(Problem("manifest", f"shard {name} was built with model {model!r}, the set "
                                           f"with {shards.model!r}", f"rebuild it: `qa ingest --rebuild --model "
                                           f"{shards.model} --index-dir {shards.path} PATHS`", False))
        report.problems += [Problem(p.part, f"shard {name}: {p.what}", p.fix, p.repairable) for p in part.problems]
        for key, value in part.facts.items():
            report.facts[key] = max(report.facts.get(key, 0), value) if key == "generation" else \
                report.facts.get(key, 0) + value
        report.damaged_articles += part.damaged_articles
        report.checked |= part.checked
    return report


def _model_of(folder: Path) -> str | None:
    try:
        return IndexDir(folder).read_manifest().model
    except Exception:  # a damaged manifest is the shard's own check's problem, named there
        return None


def repair_set(settings: IndexSettings, progress: bool = False) -> RepairReport:
    shards = read_shard_set(settings.index_dir)
    report = RepairReport(str(shards.path), check_set(shards.path))
    for name, folder in zip(shards.names, shards.dirs):
        if not IndexDir(folder).exists():
            continue  # named by the check: nothing here to repair it from
        part = repair(settings.replace(index_dir=folder, model=shards.model), progress=progress)
        report.actions += [f"{name}: {action}" for action in part.actions]
        report.lost += part.lost
        report.lost_origins.update(part.lost_origins)
    report.after = check_set(shards.path)
    return report


def compact_set(settings: IndexSettings) -> CompactReport:
    shards = read_shard_set(settings.index_dir)
    parts = [compact(settings.replace(index_dir=folder)) for folder in shards.dirs]
    return CompactReport(str(shards.path), sum(p.segments_before for p in parts),
                         sum(p.segments_after for p in parts), sum(p.vectors for p in parts),
                         sum(p.removed_dropped for p in parts), any(p.approximate for p in parts),
                         any(p.changed for p in parts), round(sum(p.seconds for p in parts), 2),
                         sum(p.reclaimed_bytes for p in parts))


def backup_set(settings: IndexSettings, dest, cache: bool = True) -> BackupReport:
    """Each shard backed up into DEST/its name, then the set's manifest: a copy cut short has
    no ``shards.json`` and is not mistaken for a set."""
    shards = read_shard_set(settings.index_dir)
    target = Path(dest).expanduser()
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise SettingsError(f"the backup's destination {target} is not empty: choose a new DEST")
    started = time.perf_counter()
    report = BackupReport(str(shards.path), str(target))
    try:
        target.mkdir(parents=True, exist_ok=True)
        for name, folder in zip(shards.names, shards.dirs):
            part = backup(settings.replace(index_dir=folder), target / name, cache=cache)
            report.generation = max(report.generation, part.generation)
            report.articles += part.articles
            report.chunks += part.chunks
            report.files += [f"{name}/{f}" for f in part.files]
            report.bytes += part.bytes
        staged = target / (SHARDS_FILE + ".tmp")
        shutil.copyfile(shards.path / SHARDS_FILE, staged)
        with open(staged, "rb") as handle:
            os.fsync(handle.fileno())
        os.replace(staged, target / SHARDS_FILE)
        report.files.append(SHARDS_FILE)
    except OSError as exc:
        raise IndexWriteError(f"cannot write the backup to {target}: {exc.strerror or exc} (free space, or "
                              "choose another DEST)") from None
    report.seconds = round(time.perf_counter() - started, 2)
    return report
