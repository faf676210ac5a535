"""``qa check``: is every part of an index intact, and do the parts agree?

Parts: the manifest, the database (SQLite's integrity check, each article's text against
its content hash, each chunk's text against its article, the sentence vectors), the vector
file (its recorded size and SHA-256, one vector per chunk), the keyword index (tantivy's
directory opens, one entry per chunk, no write left half done; the vocabulary's trigram
index) and the embedding cache. Each problem names the
part, what is wrong and the fix. (The quick form of these checks runs on every open: see
:class:`index.directory.reader.IndexReader`.)
"""

from __future__ import annotations

import hashlib
import sqlite3
from dataclasses import asdict, dataclass, field

import numpy as np

from index.directory import IndexDir, Manifest, pending
from index.errors import IndexCorruptError, QAError
from index.maintenance.salvage import readable_articles
from index.store import KeywordIndex, Store, check_file, codec, file_problem, lost_texts_hint
from index.text import content_hash

PARTS = ("manifest", "database", "vectors", "keywords", "cache")
NORM_TOLERANCE = 1e-3  # stored vectors are unit length; a damaged one almost never is
SHOWN = 5  # ids named in a message


@dataclass(frozen=True)
class Problem:
    part: str  # one of PARTS
    what: str
    fix: str
    repairable: bool = True  # by `qa repair`, without the original files

    def __str__(self) -> str:
        return f"{self.part}: {self.what}; fix: {self.fix}"


@dataclass
class CheckReport:
    path: str
    problems: list[Problem] = field(default_factory=list)
    facts: dict[str, int] = field(default_factory=dict)  # articles, chunks, sentences, vectors, generation
    damaged_articles: list[str] = field(default_factory=list)  # ids whose stored text fails its hash
    checked: set[str] = field(default_factory=set)  # the parts that could be checked

    @property
    def ok(self) -> bool:
        return not self.problems

    def parts(self) -> set[str]:
        return {p.part for p in self.problems}

    def to_dict(self) -> dict:
        return {"path": self.path, "ok": self.ok, "facts": self.facts,
                "problems": [asdict(p) for p in self.problems], "damaged_articles": self.damaged_articles,
                "checked": sorted(self.checked)}


def check_index(path) -> CheckReport:
    """Every check of the index at ``path`` (a folder name; see :func:`check`)."""
    return check(IndexDir(path))


def check(index_dir: IndexDir) -> CheckReport:
    """Every check, slowest included (it reads the whole database and vector file)."""
    if not index_dir.exists():
        index_dir.require()  # raises IndexNotFoundError with the fix
    report = CheckReport(str(index_dir.path))
    repair = f"run `qa repair --index-dir {index_dir.path}`"
    manifest = _check_manifest(index_dir, report, repair)
    report.checked.add("manifest")
    _check_cache(index_dir, report)
    report.checked.add("cache")
    store = _open_database(index_dir, report)
    report.checked.add("database")
    if store is None:
        return report
    report.checked |= {"vectors", "keywords"}
    try:
        build = _build_record(store, manifest)
        if manifest is not None and build is not None:
            _check_agreement(manifest, build, report, repair)
        _check_database(index_dir, store, report, repair, build)
        _check_vectors(index_dir, store, report, repair, build)
        _check_keywords(index_dir, store, report, repair)
        if manifest is not None:
            _check_counts(index_dir, manifest, store, report, repair)
    except QAError as exc:  # the database broke while being read: that is what is wrong
        report.problems.append(Problem("database", str(exc), f"{repair}: it salvages every intact article"))
    finally:
        store.close()
    return report


def _check_manifest(index_dir: IndexDir, report: CheckReport, repair: str) -> Manifest | None:
    if not index_dir.manifest_path.is_file():
        report.problems.append(Problem("manifest", f"{index_dir.manifest_path} is missing",
                                       f"{repair}: it writes it again from the database"))
        return None
    try:
        return Manifest.read(index_dir.manifest_path)
    except QAError as exc:
        report.problems.append(Problem("manifest", f"{index_dir.manifest_path} is unreadable ({exc})",
                                       f"{repair}: it writes it again from the database"))
        return None


def _open_database(index_dir: IndexDir, report: CheckReport) -> Store | None:
    path = index_dir.database_path
    problem = file_problem(path)
    if problem is None:
        try:
            return Store(path, fix="")
        except QAError as exc:
            problem = str(exc)
    intact = readable_articles(path) if path.is_file() else 0
    if intact:  # the b-tree or the header is gone, the pages that hold the articles are not
        report.problems.append(Problem("database", problem, f"run `qa repair --index-dir {index_dir.path}`: "
                                       f"{intact} intact article(s) can be read off its pages and the index rebuilt "
                                       "from them (no original file needed)"))
    else:
        report.problems.append(Problem("database", problem, lost_texts_hint(index_dir.path), repairable=False))
    return None


def _build_record(store: Store, manifest: Manifest | None) -> Manifest | None:
    record = store.meta("build")
    if record:
        try:
            return Manifest.from_build_record(record)
        except IndexCorruptError:
            pass
    return manifest


def _check_agreement(manifest: Manifest, build: Manifest, report: CheckReport, repair: str) -> None:
    """The manifest says how the index was built as the database recorded it (a hand-edited or
    stale manifest claiming 768 dimensions over 384-dimensional vectors is caught here)."""
    for difference in manifest.disagreements(build):
        report.problems.append(Problem("manifest", f"the manifest says {difference} when the index was built",
                                       f"{repair}: it writes the manifest again from the database"))


def _check_database(index_dir: IndexDir, store: Store, report: CheckReport, repair: str,
                    build: Manifest | None) -> None:
    salvage = f"{repair}: it rebuilds the index from every article whose text is intact"
    try:
        rows = [" ".join(str(r[0]).split()) for r in store.fetch("PRAGMA integrity_check(20)")]
    except QAError as exc:
        rows = [" ".join(str(exc).split())]
    if rows != ["ok"]:
        report.problems.append(Problem("database", f"SQLite's integrity check fails: {'; '.join(rows[:3])}", salvage))
    damaged = []
    for article_id, title, text, digest in store.iterate("SELECT id, title, text, content_hash FROM articles"):
        if content_hash(title, text) != digest:
            damaged.append(article_id)
    if damaged:
        report.damaged_articles = damaged
        report.problems.append(Problem(
            "database", f"{len(damaged)} article(s) no longer match their checksum ({_some(damaged)})",
            f"{repair}: it keeps every intact article; re-ingest these from their original files"))
    bad_chunks = [r[0] for r in store.fetch(
        "SELECT c.id FROM chunk_spans c LEFT JOIN articles a ON a.id = c.article_id"
        " WHERE a.id IS NULL OR c.start < 0 OR c.end <= c.start OR c.end > length(a.text)")]
    if bad_chunks:
        report.problems.append(Problem("database", f"{len(bad_chunks)} passage(s) lie outside their article's "
                                       f"text (chunk ids {_some(bad_chunks)})", salvage))
    if build is not None:
        bad_sentences = 0
        for (vector,) in store.iterate("SELECT vector FROM sentences"):
            kind = codec.stored_kind(vector, build.dimension)
            if kind is None or not _unit(codec.decode([vector], build.dimension)[0], codec.UNIT_TOLERANCE[kind]):
                bad_sentences += 1
        if bad_sentences:
            report.problems.append(Problem("database", f"{bad_sentences} sentence vector(s) are damaged", salvage))
    if store.meta("build") is None:
        report.problems.append(Problem("database", "the database does not record how the index was built "
                                       "(made by an older article-qa)", f"{repair}: it records it"))
    report.facts.update(store.counts())


def _check_vectors(index_dir: IndexDir, store: Store, report: CheckReport, repair: str,
                   build: Manifest | None) -> None:
    from index.store import VectorIndex

    state = store.state()
    report.facts["generation"] = state.generation
    rebuild = f"{repair}: it re-embeds the stored passages (through the embedding cache)"
    held: list[np.ndarray] = []
    for segment in state.segments:
        path = index_dir.path / segment.file
        if not path.exists():
            report.problems.append(Problem("vectors", f"{path.name} (generation {state.generation}) is missing",
                                           rebuild))
            return
        data = path.read_bytes()
        if segment.bytes and len(data) != segment.bytes:
            report.problems.append(Problem("vectors", f"{path.name} is {len(data)} bytes, the index recorded "
                                           f"{segment.bytes}", rebuild))
            return
        if segment.sha256 and hashlib.sha256(data).hexdigest() != segment.sha256:
            report.problems.append(Problem("vectors", f"{path.name} does not match its recorded SHA-256", rebuild))
            return
        if not segment.sha256:
            report.problems.append(Problem("vectors", f"no checksum is recorded for {path.name} (an older index)",
                                           f"{repair}: it records one"))
        try:
            vectors = VectorIndex.load(path, build.dimension if build else None)
        except IndexCorruptError as exc:
            report.problems.append(Problem("vectors", str(exc).split(": run")[0], rebuild))
            return
        held.append(vectors.ids())
    if not state.segments and state.chunks:
        report.problems.append(Problem("vectors", f"no vector file is recorded for {state.chunks} passages",
                                       rebuild))
        return
    every = np.concatenate(held) if held else np.zeros(0, dtype=np.int64)
    live = set(every.tolist()) - set(state.removed)
    report.facts["vectors"] = len(live)
    report.facts["segments"] = len(state.segments)
    if len(every) != len(set(every.tolist())) or live != set(store.chunk_ids()) \
            or not set(state.removed) <= set(every.tolist()):
        report.problems.append(Problem("vectors", f"the {len(state.segments)} vector file(s) hold {len(live)} "
                                       f"live vectors that are not the {state.chunks} stored passages", rebuild))


def _check_keywords(index_dir: IndexDir, store: Store, report: CheckReport, repair: str) -> None:
    rebuild = f"{repair}: it rebuilds the keyword index from the stored passages"
    try:
        store.fetch("INSERT INTO term_trigrams (term_trigrams, rank) VALUES ('integrity-check', 1)")
    except QAError as exc:
        report.problems.append(Problem("keywords", f"the vocabulary's trigram index is damaged "
                                       f"({exc.__cause__ or exc})", rebuild))
    chunks = store.fetch("SELECT COUNT(*) FROM chunk_spans")[0][0]
    name = store.meta("keywords")
    if name is None:
        if chunks:
            report.problems.append(Problem("keywords", f"no keyword index is recorded for the {chunks} passages (an "
                                           "index written before the keyword index moved to tantivy)",
                                           f"{repair}: it builds it (so does opening the index)"))
        return
    try:
        keywords = KeywordIndex(index_dir.path / name, fix=rebuild)
        indexed = set(keywords.chunk_ids())
    except (QAError, ValueError, OSError) as exc:
        report.problems.append(Problem("keywords", str(exc).split(": run")[0], rebuild))
        return
    report.facts["keyword_passages"] = len(indexed)
    waiting = pending(store)
    if waiting:
        report.problems.append(Problem("keywords", f"{waiting} article(s) of a write that was cut short are not in "
                                       "the keyword index yet", f"{repair}: it indexes them (so does the next "
                                       "ingest)"))
    elif indexed != set(store.chunk_ids()):
        report.problems.append(Problem("keywords", f"the keyword index holds {len(indexed)} passages that are not "
                                       f"the database's {chunks}", rebuild))


def _check_counts(index_dir: IndexDir, manifest: Manifest, store: Store, report: CheckReport, repair: str) -> None:
    state = store.state()
    if manifest.generation != state.generation:
        report.problems.append(Problem("manifest", f"the manifest is at generation {manifest.generation}, the "
                                       f"database at {state.generation}", f"{repair}: it writes it again"))
        return
    counts = store.counts()
    for name, have in counts.items():
        if getattr(manifest, name) != have:
            report.problems.append(Problem("manifest", f"the manifest records {getattr(manifest, name)} {name}, "
                                           f"the database holds {have}", f"{repair}: it writes it again"))


def _check_cache(index_dir: IndexDir, report: CheckReport) -> None:
    path = index_dir.cache_path
    if not path.exists() or path.stat().st_size == 0:
        return
    fix = (f"run `qa repair --index-dir {index_dir.path}` (or any ingest): it sets the cache aside and starts "
           "a new one; it is only a copy of what the model computes")
    try:
        check_file(path, "")
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
            rows = [" ".join(str(r[0]).split()) for r in db.execute("PRAGMA quick_check(5)")]
    except (sqlite3.Error, QAError) as exc:
        rows = [" ".join(str(exc).split())]
    if rows != ["ok"]:
        report.problems.append(Problem("cache", f"{path.name} is damaged ({'; '.join(rows[:2])})", fix))


def _unit(vector: np.ndarray, tolerance: float = NORM_TOLERANCE) -> bool:
    with np.errstate(all="ignore"):  # a damaged vector may hold inf or nan
        return bool(abs(float(np.linalg.norm(vector)) - 1.0) <= tolerance)


def _some(items: list) -> str:
    shown = ", ".join(str(i) for i in items[:SHOWN])
    return shown + (f" and {len(items) - SHOWN} more" if len(items) > SHOWN else "")
