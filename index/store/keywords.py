"""Keyword search over the chunks, in the same SQLite database as the documents.

* BM25 ranking by SQLite FTS5 (``chunks_fts``, kept in step with ``chunks`` by triggers,
  so it is transactional and incremental: nothing to rebuild);
* term statistics from ``fts5vocab`` (document frequencies, for IDF weights);
* the vocabulary by character trigram (``term_trigrams``) and by consonant skeleton
  (``known_terms.skeleton``), so a query word the index has never seen ("Rif'at", "Tell")
  is matched to close spellings it has ("rifaat", "tal");
* the chunk ids that pass a date/source filter, for filtering before ranking.

Only :class:`index.directory.reader.IndexReader` and the writer use this module: qa reads through
the reader.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence

from index.store.database import Store
from index.store.filters import Filter
from index.store.sqlite import varint
from index.text import MIN_TERM_LENGTH, skeleton
from index.text import terms as text_terms


def match_expression(terms: Sequence[str]) -> str:
    """An FTS5 query that matches any of ``terms`` (each quoted, so nothing is syntax)."""
    return " OR ".join('"' + t.replace('"', '""') + '"' for t in dict.fromkeys(terms))


# Candidate spellings looked at per unknown word: those sharing its consonant skeleton, and
# those sharing character trigrams (edit distance and Jaccard then pick the best three).
SKELETON_MATCHES = 50
TRIGRAM_MATCHES = 200
# With a keyword budget, how much more each further try may score (see KeywordIndex.search)
BUDGET_GROWTH = 8
# ... and how many more rows than asked the rare terms find, to be ranked again by every term
RESCORE_POOL = 4
BM25_K1, BM25_B = 1.2, 0.75  # FTS5's bm25() defaults


class KeywordIndex:
    def __init__(self, store: Store):
        self.store = store

    def search(self, terms: Sequence[str], limit: int, where: Filter | None = None,
               budget: int | None = None) -> list[tuple[int, float]]:
        """(chunk id, BM25 score; higher is better) of the best matches for any of ``terms``.

        FTS5 scores every row its query matches, so a common word ("said": half the archive)
        costs a scan of its whole posting list. With a ``budget`` (QA_KEYWORD_BUDGET), the
        query holds only the rarest terms whose document frequencies add up to at most that
        many rows (the rarest one at least), ranked by BM25 over those terms; when that
        leaves fewer than ``limit`` rows (a filter, or few rare terms), the budget grows
        ``BUDGET_GROWTH``-fold, up to every term: a filter never empties what matches. The
        rare terms find ``RESCORE_POOL`` times the rows asked for, which are then ranked by
        BM25 over *every* term, computed here from their text (the common words' evidence
        back, without FTS5 reading the common words' posting lists).
        """
        if not budget:
            return self._ranked(list(dict.fromkeys(terms)), limit, where) if terms else []
        known = self._by_rarity(terms)
        if not known:
            return []
        while True:
            chosen = _within(known, budget)
            if len(chosen) == len(known):  # every term within the budget: FTS5 ranks them all
                return self._ranked([t for t, _ in chosen], limit, where)
            found = self._ranked([t for t, _ in chosen], limit * RESCORE_POOL, where)
            if len(found) >= limit:
                return self._rescored([i for i, _ in found], known, limit)
            budget *= BUDGET_GROWTH

    def _rescored(self, ids: list[int], known: list[tuple[str, int]], limit: int) -> list[tuple[int, float]]:
        """The best ``limit`` of ``ids`` by BM25 over every term of ``known`` (term, document
        frequency), as FTS5's bm25() computes it, from the passages' text."""
        rows, averages = self.totals()
        marks = ",".join("?" * len(ids))
        texts = self.store.fetch(f"SELECT id, text FROM chunks WHERE id IN ({marks})", ids)
        scored = [(i, bm25(text_terms(text), known, rows, averages)) for i, text in texts]
        return sorted(scored, key=lambda item: -item[1])[:limit]

    def totals(self) -> tuple[int, float]:
        """(rows, average tokens per row) of the keyword index, from FTS5's own record of
        them (one small read: counting would read the whole table)."""
        found = self.store.fetch("SELECT block FROM chunks_fts_data WHERE id = 1")
        if not found or not found[0][0]:
            return 0, 0.0
        rows, at = varint(found[0][0], 0)
        tokens, _ = varint(found[0][0], at)
        return rows, tokens / rows if rows else 0.0

    def _by_rarity(self, terms: Sequence[str]) -> list[tuple[str, int]]:
        """(term, document frequency) of the terms some passage holds, rarest first."""
        frequencies, _ = self.document_frequencies(terms, total=0)
        return sorted(((t, f) for t, f in frequencies.items() if f > 0), key=lambda item: (item[1], item[0]))

    def _ranked(self, terms: Sequence[str], limit: int, where: Filter | None) -> list[tuple[int, float]]:
        if where is None or not where.active:  # FTS5 orders by its built-in BM25 rank fastest
            return self.store.fetch(
                "SELECT rowid, -rank FROM chunks_fts WHERE chunks_fts MATCH ? ORDER BY rank LIMIT ?",
                [match_expression(terms), limit])
        # Rank every match first, then filter: a rowid constraint inside the MATCH makes
        # FTS5 run the query once per allowed row (700 ms instead of 3 ms on 5,000 chunks).
        condition, params = where.sql()
        return self.store.fetch(
            "WITH m AS MATERIALIZED (SELECT rowid AS id, rank FROM chunks_fts WHERE chunks_fts MATCH ?)"
            " SELECT m.id, -m.rank FROM m JOIN chunk_spans c ON c.id = m.id JOIN articles a ON a.id = c.article_id"
            f" WHERE {condition} ORDER BY m.rank LIMIT ?",
            [match_expression(terms), *params, limit],
        )

    def document_frequencies(self, terms: Sequence[str], total: int | None = None) -> tuple[dict[str, int], int]:
        """({term: number of chunks holding it}, number of chunks); give ``total`` when it is
        known (counting the chunks reads the whole table: 40 ms at a million)."""
        if total is None:
            total = self.store.fetch("SELECT COUNT(*) FROM chunk_spans")[0][0]
        terms = sorted(set(terms))
        if not terms:
            return {}, total
        marks = ",".join("?" * len(terms))
        rows = self.store.fetch(f"SELECT term, doc FROM chunks_vocab WHERE term IN ({marks})", terms)
        return dict(rows), total

    def similar_terms(self, term: str, limit: int = 3, min_similarity: float = 0.5) -> list[str]:
        """Known terms spelled like ``term``, best first: the same consonant skeleton
        within two edits ("tell" -> "tal"), or character trigrams in common (Jaccard)."""
        if len(term) < MIN_TERM_LENGTH:
            return []
        found: dict[str, float] = {}
        for (t,) in self.store.fetch("SELECT term FROM known_terms WHERE skeleton = ? LIMIT ?",
                                     [skeleton(term), SKELETON_MATCHES]):
            distance = edit_distance(term, t)
            if t != term and distance <= 2:
                found[t] = 1.0 - distance / 10
        grams = trigrams(term)
        if len(term) >= 4 and grams:
            rows = self.store.fetch("SELECT term FROM term_trigrams WHERE term_trigrams MATCH ? LIMIT ?",
                                    [match_expression(sorted(grams)), TRIGRAM_MATCHES])
            for (t,) in rows:
                similarity = jaccard(grams, trigrams(t))
                if t != term and similarity >= min_similarity:
                    found[t] = max(found.get(t, 0.0), similarity)
        return [t for t, _ in sorted(found.items(), key=lambda item: -item[1])[:limit]]

    def chunk_ids(self, where: Filter) -> list[int]:
        condition, params = where.sql()
        return [r[0] for r in self.store.fetch(
            f"SELECT c.id FROM chunk_spans c JOIN articles a ON a.id = c.article_id WHERE {condition}", params)]

    def sync_terms(self) -> None:
        """Add new vocabulary terms to the trigram index; call inside the write transaction."""
        self.store.run(
            "INSERT INTO known_terms (term, skeleton) SELECT v.term, qa_skeleton(v.term) FROM chunks_vocab v"
            " WHERE length(v.term) >= ? AND NOT EXISTS (SELECT 1 FROM known_terms k WHERE k.term = v.term)",
            [MIN_TERM_LENGTH])


    def rebuild(self) -> None:
        """Index every stored passage again, and the vocabulary; call inside the write transaction."""
        self.store.run("INSERT INTO chunks_fts (chunks_fts) VALUES ('rebuild')")
        self.store.run("DELETE FROM known_terms")
        self.sync_terms()
        self.store.run("INSERT INTO term_trigrams (term_trigrams) VALUES ('rebuild')")


def bm25(words: list[str], known: list[tuple[str, int]], rows: int, average: float) -> float:
    """FTS5's bm25() of one row whose tokens are ``words``, for a query of every term in
    ``known`` (term, number of rows holding it) over an index of ``rows`` rows of ``average``
    tokens (positive: higher is better, where FTS5's rank is its negative)."""
    counts, length = Counter(words), len(words)
    score = 0.0
    for term, frequency in known:
        tf = counts.get(term, 0)
        if not tf:
            continue
        idf = max(math.log((rows - frequency + 0.5) / (frequency + 0.5)), 1e-6)
        norm = BM25_K1 * (1 - BM25_B + BM25_B * length / average) if average else BM25_K1
        score += idf * tf * (BM25_K1 + 1) / (tf + norm)
    return score


def _within(by_rarity: list[tuple[str, int]], budget: int) -> list[tuple[str, int]]:
    """The rarest terms whose frequencies add up to at most ``budget`` (the rarest one at least)."""
    chosen, total = [], 0
    for term, frequency in by_rarity:
        if chosen and total + frequency > budget:
            break
        chosen.append((term, frequency))
        total += frequency
    return chosen


def edit_distance(a: str, b: str) -> int:
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        current = [i]
        for j, cb in enumerate(b, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def trigrams(term: str) -> set[str]:
    return {term[i : i + 3] for i in range(len(term) - 2)}


def jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a or b else 0.0
