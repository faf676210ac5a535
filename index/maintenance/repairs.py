"""``qa repair``: rebuild whatever can be rebuilt from what is intact, never deleting an article.

* a damaged or unreadable embedding cache is set aside (renamed) and a new one started;
* a missing or wrong manifest is written again from the database (which records how the
  index was built);
* a damaged database is salvaged: every article whose text still matches its checksum is
  re-chunked and re-embedded (through the cache) into a new index built beside the old one,
  which replaces it only when complete; the articles that could not be kept are listed;
* otherwise a missing or damaged vector file is re-embedded from the stored passages, and a
  damaged keyword index rebuilt from them.

No original file is needed. The index is checked again at the end.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import numpy as np
from tqdm.auto import tqdm

from index.directory import (
    IndexDir,
    IndexWriter,
    Manifest,
    catch_up,
    lost_texts_hint,
    open_keywords,
    rebuild_keywords,
    remove_leftovers,
)
from index.embed import CachedEmbedder, Embedder, EmbeddingCache, load_embedder
from index.errors import IndexCorruptError, QAError
from index.ingestion import store_articles_locked
from index.maintenance.checks import CheckReport, check
from index.maintenance.salvage import salvage
from index.settings import IndexSettings
from index.store import Store, VectorIndex

log = logging.getLogger(__name__)

EMBED_BATCH = 2000  # passages re-embedded (and cached) per step


@dataclass
class RepairReport:
    path: str
    before: CheckReport
    after: CheckReport | None = None
    actions: list[str] = field(default_factory=list)
    lost: list[str] = field(default_factory=list)  # articles that could not be kept
    lost_origins: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.after is not None and self.after.ok

    def to_dict(self) -> dict:
        return {"path": self.path, "ok": self.ok, "actions": self.actions, "lost": self.lost,
                "lost_origins": self.lost_origins, "before": self.before.to_dict(),
                "after": self.after.to_dict() if self.after else None}


def repair(settings: IndexSettings, embedder: Embedder | None = None, progress: bool = False) -> RepairReport:
    """Repair the index at ``settings.index_dir`` (see the module docstring)."""
    index_dir = IndexDir(settings.index_dir)
    with index_dir.write_lock():
        remove_leftovers(index_dir)
        found = check(index_dir)
        report = RepairReport(str(index_dir.path), found)
        if found.ok:
            report.after = found
            return report
        unrepairable = [p for p in found.problems if not p.repairable]
        if unrepairable:
            raise IndexCorruptError(f"{unrepairable[0].what}: {_uploads_hint(index_dir)}")
        if "cache" in found.parts():
            cache = EmbeddingCache(index_dir.cache_path)
            cache.set_aside("its integrity check failed")
            cache.close()
            report.actions += cache.notes
        build = _build(index_dir, settings)
        if "database" not in found.parts() and ("manifest" in found.parts() or not index_dir.manifest_path.exists()):
            _write_manifest(index_dir, build)
            report.actions.append("wrote manifest.json again from the database")
        if "keywords" in found.parts() and "database" not in found.parts():  # no model needed
            report.actions.append(_repair_keywords(index_dir, progress))
        if found.parts() & {"database", "vectors"}:
            embedder = embedder or load_embedder(build.model, settings.offline, settings.device)
            build.check_model(embedder.model_id, index_dir.path)
            if "database" in found.parts():
                _rebuild_from_texts(index_dir, settings, build, embedder, report, progress)
            else:
                _repair_in_place(index_dir, settings, build, embedder, found, report, progress)
    report.after = check(index_dir)
    return report


def _build(index_dir: IndexDir, settings: IndexSettings) -> Manifest:
    """How the index was built: from the database's record, else the manifest, else the settings."""
    try:
        store = Store(index_dir.database_path)
        try:
            record = store.meta("build")
        finally:
            store.close()
    except QAError:  # a damaged database may not even say that
        record = None
    if record:
        try:
            return Manifest.from_build_record(record)
        except IndexCorruptError:
            pass
    if index_dir.manifest_path.exists():
        try:
            return Manifest.read(index_dir.manifest_path)
        except IndexCorruptError:
            pass
    if not settings.model:
        raise IndexCorruptError(
            f"{index_dir.path} records neither in its manifest nor in its database which model built it: "
            "name it with --model (and --chunk-tokens/--chunk-overlap/--encoding if they were not the defaults)")
    model = load_embedder(settings.model, settings.offline, settings.device)
    return Manifest.new(settings, model.model_id, model.dimension, model.max_seq_length)


def _write_manifest(index_dir: IndexDir, build: Manifest) -> None:
    store = Store(index_dir.database_path)
    try:
        state = store.state()
        manifest = build.at_state(state, store.counts())
    finally:
        store.close()
    manifest.write(index_dir.manifest_path)


def _rebuild_from_texts(index_dir: IndexDir, settings: IndexSettings, build: Manifest, embedder: Embedder,
                        report: RepairReport, progress: bool) -> None:
    """A new index from every intact article, built beside the damaged one, then swapped in."""
    try:
        expected = Manifest.read(index_dir.manifest_path).articles
    except QAError:
        expected = 0
    kept = salvage(index_dir.database_path, expected=expected)
    report.lost, report.lost_origins = kept.lost, kept.origins
    if not kept.articles:
        raise IndexCorruptError(f"no article of {index_dir.database_path} could be read back: "
                                f"{_uploads_hint(index_dir)}")
    settings = settings.replace(index_dir=index_dir.path, encoding=build.encoding, chunk_tokens=build.chunk_tokens,
                                chunk_overlap=build.chunk_overlap)
    rebuilt = store_articles_locked(index_dir, kept.articles, settings, embedder=embedder, rebuild=True,
                                    progress=progress)
    report.actions.append(f"rebuilt the index beside the damaged one from the {len(rebuilt.added)} intact "
                          f"articles ({rebuilt.chunks} passages; {rebuilt.reused} vectors from the cache, "
                          f"{rebuilt.embedded} embedded) and swapped it in"
                          + (f"; {kept.lost_count} article(s) could not be kept" if kept.lost else ""))
    report.actions += [str(w) for w in rebuilt.warnings]


def _repair_in_place(index_dir: IndexDir, settings: IndexSettings, build: Manifest, embedder: Embedder,
                     found: CheckReport, report: RepairReport, progress: bool) -> None:
    writer = IndexWriter(index_dir, settings, None)
    try:
        if "vectors" in found.parts():
            cache = EmbeddingCache(index_dir.cache_path)
            try:
                vectors = _embed_chunks(writer.store, CachedEmbedder(embedder, cache), build.dimension, progress)
            finally:
                report.actions += cache.notes
                cache.close()
            writer.replace_vectors(vectors)
            report.actions.append(f"re-embedded {len(vectors)} passages into {writer.segments[-1].file}")
    finally:
        writer.close()


def _repair_keywords(index_dir: IndexDir, progress: bool) -> str:
    """Index the articles a cut-short write left waiting, or rebuild the keyword index from
    the database when that is not enough (damaged, missing, or not the stored passages)."""
    store = Store(index_dir.database_path)
    try:
        try:
            waiting = catch_up(index_dir, store)
            keywords = open_keywords(index_dir, store)
            if keywords is not None and set(keywords.chunk_ids()) == set(store.chunk_ids()):
                return f"indexed the {waiting} article(s) a cut-short write left out of the keyword index"
        except IndexCorruptError as exc:
            log.info("rebuilding the keyword index: %s", exc)
        count = rebuild_keywords(index_dir, store, progress)
        return f"rebuilt the keyword index from the stored passages of {count} article(s)"
    finally:
        store.close()


def _embed_chunks(store: Store, embedder: CachedEmbedder, dimension: int, progress: bool) -> VectorIndex:
    vectors = VectorIndex(dimension)
    total = store.state().chunks
    with tqdm(total=total, unit="passage", disable=not progress, desc="re-embedding") as bar:
        batch: list[tuple[int, str]] = []
        for row in store.iterate("SELECT id, text FROM chunks ORDER BY id"):
            batch.append(row)
            if len(batch) == EMBED_BATCH:
                _add(vectors, embedder, batch)
                bar.update(len(batch))
                batch = []
        if batch:
            _add(vectors, embedder, batch)
            bar.update(len(batch))
    return vectors


def _add(vectors: VectorIndex, embedder: CachedEmbedder, batch: list[tuple[int, str]]) -> None:
    ids = [i for i, _ in batch]
    vectors.add(ids, np.ascontiguousarray(embedder.embed([t for _, t in batch])))


def _uploads_hint(index_dir: IndexDir) -> str:
    uploads = index_dir.path / "uploads"
    hint = lost_texts_hint(index_dir.path)
    if uploads.is_dir() and any(uploads.rglob("*")):
        hint += f" (the files uploaded in the web chat are kept in {uploads})"
    return hint
