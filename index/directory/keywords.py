"""The keyword index beside the database: named by it, and brought in step with it.

The database's meta table names the tantivy directory (``keywords``: ``keywords-<token>``)
and its last commit (``keywords_opstamp``). A write records the articles it adds or removes
in ``keyword_pending``, in the same SQLite transaction as their rows. Once that commits,
:func:`catch_up` deletes those articles' passages from tantivy and adds what the database
now holds of them, commits tantivy, then clears them from ``keyword_pending`` (recording
the opstamp and the new vocabulary) -- all before the manifest is replaced.

A crash at any point leaves the articles in ``keyword_pending``; the next writer (or
``qa repair``) replays them, and replaying is idempotent. Meanwhile readers find the
keyword side a write behind, never ahead: a removed article's passages are no longer live
vectors, so they are dropped from keyword hits. An index written before tantivy has every
article pending (migration 6): its first writer or reader converts it, with progress.
:func:`reconcile` brings any commit of it to the database's passages (a backup's copy);
:func:`rebuild` writes a new directory from the database alone (``qa repair``).
"""

from __future__ import annotations

import logging
import secrets
import shutil
import time
from collections.abc import Sequence

from tqdm.auto import tqdm

from index.directory.layout import IndexDir
from index.errors import IndexCorruptError
from index.store import KeywordIndex, KeywordPassage, Store, Vocabulary, repair_hint
from index.text import terms as text_terms

log = logging.getLogger(__name__)

BATCH = 2_000  # articles per tantivy commit while catching up (a conversion resumes from the last one)
TELL_AT = 1_000  # pending articles from which catching up says so and shows progress
PREFIX = "keywords-"


def open_keywords(index_dir: IndexDir, store: Store) -> KeywordIndex | None:
    """The keyword index the database names (None before its first catch-up)."""
    name = store.meta("keywords")
    return KeywordIndex(index_dir.path / name, fix=repair_hint(index_dir.path)) if name else None


def pending(store: Store) -> int:
    """Articles whose passages tantivy does not reflect yet."""
    return store.fetch("SELECT COUNT(*) FROM keyword_pending")[0][0]


def catch_up(index_dir: IndexDir, store: Store) -> int:
    """Bring tantivy in step with the database (hold the write lock), making its directory
    first if the database names none; the number of articles it indexed."""
    total = pending(store)
    keywords = open_keywords(index_dir, store)
    converting = keywords is None and total > 0  # an index written before tantivy
    if keywords is None:  # a new index, or that one
        keywords = _new(index_dir)
        with store.transaction():
            store.set_meta("keywords", keywords.path.name)
    if not total:
        return 0
    if converting or total >= TELL_AT:
        log.warning("%s the keyword index of %s: %d article(s) to index in %s", "building" if converting else
                    "catching up", index_dir.path, total, keywords.path.name)
    started = time.perf_counter()
    with tqdm(total=total, unit=" articles", desc="keyword index", disable=None if total >= TELL_AT else True) \
            as bar:
        while True:
            ids = [r[0] for r in store.fetch("SELECT article_id FROM keyword_pending LIMIT ?", [BATCH])]
            if not ids:
                break
            passages, vocabulary = _passages(store, "c.article_id", ids)
            opstamp = keywords.write(ids, passages)
            marks = ",".join("?" * len(ids))
            with store.transaction():
                Vocabulary(store).add(vocabulary)
                store.run(f"DELETE FROM keyword_pending WHERE article_id IN ({marks})", ids)
                store.set_meta("keywords_opstamp", str(opstamp))
            bar.update(len(ids))
    if converting or total >= TELL_AT:
        log.warning("the keyword index of %s holds the passages of %d article(s) (%.1f s)", index_dir.path, total,
                    time.perf_counter() - started)
    return total


def rebuild(index_dir: IndexDir, store: Store, progress: bool = False) -> int:
    """A new keyword index (and vocabulary) of every stored passage, from the database alone,
    swapped in by one transaction; the old directory (and any other) is then deleted. Hold
    the write lock."""
    keywords = _new(index_dir)
    ids = [r[0] for r in store.fetch("SELECT id FROM articles ORDER BY id")]
    vocabulary: set[str] = set()
    opstamp = 0
    try:
        with tqdm(total=len(ids), unit=" articles", desc="keyword index", disable=not progress) as bar:
            for start in range(0, len(ids), BATCH):
                part = ids[start:start + BATCH]
                passages, words = _passages(store, "c.article_id", part)
                opstamp = keywords.write((), passages)
                vocabulary |= words
                bar.update(len(part))
        with store.transaction():
            store.set_meta("keywords", keywords.path.name)
            store.set_meta("keywords_opstamp", str(opstamp))
            store.run("DELETE FROM keyword_pending")
            spelling = Vocabulary(store)
            spelling.clear()
            spelling.add(vocabulary)
    except BaseException:
        shutil.rmtree(keywords.path, ignore_errors=True)
        raise
    for folder in index_dir.path.glob(f"{PREFIX}*"):  # the old one, and any a killed rebuild left
        if folder.name != keywords.path.name:
            shutil.rmtree(folder, ignore_errors=True)
    return len(ids)


def reconcile(index_dir: IndexDir, store: Store) -> tuple[int, int]:
    """Make the keyword index hold exactly the stored passages, whatever commit it is at (a
    copy taken while a writer went on, or a count that disagrees): delete the passages the
    database does not hold, add those it holds and the index lacks, clear what was pending.
    (removed, added). Hold the write lock; the index must open."""
    keywords = open_keywords(index_dir, store)
    if keywords is None:
        raise IndexCorruptError(f"{index_dir.database_path} names no keyword index: {repair_hint(index_dir.path)}")
    held, stored = set(keywords.chunk_ids()), set(store.chunk_ids())
    extra, missing = sorted(held - stored), sorted(stored - held)
    passages, vocabulary = _passages(store, "c.id", missing)
    opstamp = keywords.write((), passages, removed_chunks=extra)
    with store.transaction():
        Vocabulary(store).add(vocabulary)
        store.run("DELETE FROM keyword_pending")
        store.set_meta("keywords_opstamp", str(opstamp))
    return len(extra), len(missing)


def _new(index_dir: IndexDir) -> KeywordIndex:
    return KeywordIndex(index_dir.path / f"{PREFIX}{secrets.token_hex(4)}", create=True,
                        fix=repair_hint(index_dir.path))


def _passages(store: Store, column: str, values: Sequence) -> tuple[list[KeywordPassage], set[str]]:
    """What tantivy holds of the stored passages whose ``column`` (``c.article_id`` or
    ``c.id``) is one of ``values`` (a removed article has none), and their terms."""
    passages, vocabulary = [], set()
    for start in range(0, len(values), 10_000):
        part = list(values[start:start + 10_000])
        marks = ",".join("?" * len(part))
        rows = store.fetch("SELECT c.id, c.article_id, c.text, a.published, a.source FROM chunks c"
                           f" JOIN articles a ON a.id = c.article_id WHERE {column} IN ({marks})", part)
        for chunk, article, text, published, source in rows:
            words = text_terms(text)
            vocabulary.update(words)
            passages.append(KeywordPassage(chunk, article, words, published, source))
    return passages, vocabulary
