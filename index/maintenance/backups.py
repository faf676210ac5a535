"""``qa backup DEST``: a consistent copy of an index while it serves and ingests.

Copying the directory with ``cp`` during an ingest can catch the database of one generation
beside the vector files of another (or a WAL mid-write): an unusable copy. Here:

1. the database is copied with SQLite's online backup API (one step, under a read
   transaction: one committed generation, whatever a writer does meanwhile);
2. that copy names its generation's vector segments; each is copied (segments are never
   rewritten, only deleted once a later generation no longer lists them: a segment gone
   meanwhile means a writer moved on, and the copy is taken again);
3. the keyword index the copy names is copied at its latest commit (tantivy never rewrites
   a file either) and, if a writer committed after the database was copied, brought to the
   copy's passages;
4. the manifest is written from the copy's own build record and counts, the embedding
   cache copied the same online way (``cache=False`` leaves it out);
5. the copy is checked whole (``qa check``'s checks, each segment's recorded size and
   SHA-256 among them) in a hidden directory of this run's own beside DEST, every file of it
   fsynced, and only then renamed to DEST, never replacing anything there: DEST is a complete
   index or absent. DEST is claimed first (index/maintenance/claims.py): a second backup into
   the same DEST is told it is taken, and a killed run's claim and staging are cleaned by the next.

No write lock is taken: readers and the writer go on while the copy is made.
"""

from __future__ import annotations

import errno
import json
import logging
import os
import shutil
import sqlite3
import time
from dataclasses import dataclass, field
from pathlib import Path

from index.directory import IndexDir, Manifest, pending, reconcile
from index.errors import IndexBusyError, IndexCorruptError, IndexWriteError, QAError
from index.maintenance.checks import check
from index.maintenance.claims import claim, fsync_tree, land, leftovers
from index.settings import IndexSettings
from index.store import Store, segment_files

log = logging.getLogger(__name__)

ATTEMPTS = 5  # copies tried when writers keep merging segments away under us


@dataclass
class BackupReport:
    source: str
    dest: str
    generation: int = 0
    articles: int = 0
    chunks: int = 0
    files: list[str] = field(default_factory=list)
    bytes: int = 0
    seconds: float = 0.0

    def to_dict(self) -> dict:
        return dict(self.__dict__)


class _MovedOn(Exception):
    """A segment of the copied generation was merged away before it was copied."""


def backup(settings: IndexSettings, dest: str | os.PathLike, cache: bool = True) -> BackupReport:
    """Copy the index at ``settings.index_dir`` to ``dest`` (a path that does not exist yet, or an
    empty directory); see the module docstring."""
    source = IndexDir(settings.index_dir)
    source.require()
    target = Path(dest).expanduser()
    _check_target(source.path, target)
    started = time.perf_counter()
    report = BackupReport(str(source.path), str(target))
    try:
        with claim(target) as staging:  # a second backup into DEST is told it is taken
            for stale in leftovers(target):
                log.info("removing %s, left by a backup that was stopped", stale)
                shutil.rmtree(stale, ignore_errors=True)
            _check_target(source.path, target)  # again, holding DEST: an earlier run may have landed there
            for attempt in range(1, ATTEMPTS + 1):
                shutil.rmtree(staging, ignore_errors=True)
                staging.mkdir(parents=True)
                try:
                    _copy(source, IndexDir(staging), report, cache, target)
                    break
                except _MovedOn as exc:
                    log.info("attempt %d: %s; copying again", attempt, exc)
            else:
                raise IndexWriteError(f"could not copy {source.path}: its writers merged segments away {ATTEMPTS} "
                                      "times during the copy; run `qa backup` again when it is quieter (or after "
                                      "`qa compact`)")
            found = check(IndexDir(staging))  # this run's own copy: the one that lands
            if not found.ok:
                raise IndexCorruptError(f"the copy of {source.path} fails its check ({found.problems[0].what}); "
                                        f"the source may be damaged: run `qa check --index-dir {source.path}`")
            fsync_tree(staging)
            land(staging, target)
    except QAError:
        raise
    except OSError as exc:
        if exc.errno == errno.EEXIST:
            raise IndexBusyError(f"{target} was taken meanwhile (something else wrote it): name another DEST") \
                from None
        raise IndexWriteError(f"cannot write the backup to {target}: {exc.strerror or exc} (free space where "
                              f"{target} goes, or choose another DEST)") from None
    report.seconds = round(time.perf_counter() - started, 2)
    return report


def _check_target(source: Path, target: Path) -> None:
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise IndexWriteError(f"{target} already exists and is not an empty directory: name a new path for the "
                              "backup (a backup never overwrites)")
    if target.resolve().is_relative_to(source.resolve()):
        raise IndexWriteError(f"{target} is inside the index {source}: put the backup elsewhere")


def _copy(source: IndexDir, copy: IndexDir, report: BackupReport, cache: bool, target: Path) -> None:
    _online_copy(source.database_path, copy.database_path, target)
    store = Store(copy.database_path)
    try:
        state, counts, record = store.state(), store.counts(), store.meta("build")
        keywords, opstamp, waiting = store.meta("keywords"), store.meta("keywords_opstamp"), pending(store)
    finally:
        store.close()
    if not record:
        raise IndexCorruptError(f"{source.database_path} does not record how the index was built: run "
                                f"`qa repair --index-dir {source.path}` first")
    files = [copy.database_path.name]
    for segment in state.segments:
        _copy_segment(source.path / segment.file, copy.path / segment.file)  # verified by the check after
        files.append(segment.file)
    files += _copy_keywords(source, copy, keywords, opstamp, waiting)
    Manifest.from_build_record(record).at_state(state, counts).write(copy.manifest_path)
    files.append(copy.manifest_path.name)
    if cache and source.cache_path.is_file():
        _online_copy(source.cache_path, copy.cache_path, target)
        files.append(copy.cache_path.name)
    report.generation, report.articles, report.chunks = state.generation, counts["articles"], counts["chunks"]
    report.files = files
    report.bytes = sum((copy.path / name).stat().st_size for name in files)


def _online_copy(path: Path, to: Path, target: Path) -> None:
    """SQLite's online backup of ``path`` into a new file ``to`` (one step: one snapshot); a
    failure to write it (a full disk) names the backup's ``target``, not the intact source."""
    try:
        src = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)
    except sqlite3.Error as exc:
        raise IndexCorruptError(f"cannot read {path} ({exc}): run `qa check`") from None
    try:
        dst = sqlite3.connect(to)
    except sqlite3.Error as exc:
        src.close()
        raise IndexWriteError(f"cannot write the backup to {target} ({exc}): choose another DEST") from None
    try:
        src.backup(dst)
        dst.execute("PRAGMA journal_mode = WAL")
    except sqlite3.DatabaseError as exc:
        if _writing(exc):
            raise IndexWriteError(f"cannot write the backup to {target} ({exc}): free space where {target} goes, "
                                  "or choose another DEST") from None
        raise IndexCorruptError(f"cannot copy {path} ({exc}): run `qa check --index-dir {path.parent}`") from None
    finally:
        dst.close()
        src.close()


def _writing(exc: sqlite3.DatabaseError) -> bool:
    """Whether SQLite failed on the copy's side (disk full, a write or fsync failing, read-only)
    rather than reading the source."""
    code = getattr(exc, "sqlite_errorcode", None)
    if code is None:
        return "full" in str(exc) or "readonly" in str(exc)
    names = ("SQLITE_FULL", "SQLITE_READONLY", "SQLITE_CANTOPEN", "SQLITE_IOERR_WRITE", "SQLITE_IOERR_FSYNC",
             "SQLITE_IOERR_TRUNCATE", "SQLITE_IOERR_DIR_FSYNC")
    return code in {getattr(sqlite3, n, -1) for n in names} or code & 0xFF == sqlite3.SQLITE_FULL


def _copy_keywords(source: IndexDir, copy: IndexDir, name: str | None, opstamp: str | None,
                   waiting: int) -> list[str]:
    """Copy the keyword index the database copy names, at its latest commit (tantivy never
    changes a file once written: a commit or merge writes new ones and a new meta.json);
    when a writer committed after the database was copied, the copy's keyword index is
    brought to the copy's passages (:func:`reconcile`)."""
    if name is None:
        return []
    folder, into = source.path / name, copy.path / name
    into.mkdir()
    try:
        meta = (folder / "meta.json").read_bytes()
        parsed = json.loads(meta)
    except FileNotFoundError:
        raise _MovedOn(f"{name} was replaced") from None
    except (OSError, ValueError) as exc:
        raise IndexCorruptError(f"cannot read {folder / 'meta.json'} ({exc}): run `qa check --index-dir "
                                f"{source.path}`") from None
    for file in segment_files(folder, parsed)[1:]:
        _copy_segment(folder / file, into / file)
    (into / "meta.json").write_bytes(meta)
    if waiting or str(parsed.get("opstamp", 0)) != (opstamp or "0"):
        store = Store(copy.database_path)
        try:
            removed, added = reconcile(copy, store)
        finally:
            store.close()
        log.info("a write went on during the copy: its keyword index took back %d passage(s) and added %d",
                 removed, added)
    return [f"{name}/{file}" for file in segment_files(into, json.loads((into / "meta.json").read_text()))]


def _copy_segment(path: Path, to: Path) -> None:
    try:
        shutil.copyfile(path, to)
    except FileNotFoundError:
        raise _MovedOn(f"{path.name} was merged away") from None
