"""The archive's vocabulary in SQLite, to match a question's unknown spellings to known ones.

Every term of the stored passages is a row of ``known_terms`` with its consonant skeleton
(indexed), and ``term_trigrams`` (an FTS5 trigram index over those rows: a few hundred
thousand words, not the passages) finds terms sharing character trigrams. A word the
archive has never seen ("Rif'at", "Tell") is matched to close spellings it has ("rifaat",
"tal"). The passages' own keyword index is tantivy's (:mod:`index.store.keywords`).
"""

from __future__ import annotations

from collections.abc import Iterable

from index.store.database import Store
from index.text import MIN_TERM_LENGTH, skeleton

# Candidate spellings looked at per unknown word: those sharing its consonant skeleton, and
# those sharing character trigrams (edit distance and Jaccard then pick the best three).
SKELETON_MATCHES = 50
TRIGRAM_MATCHES = 200


def match_expression(terms: Iterable[str]) -> str:
    """An FTS5 query that matches any of ``terms`` (each quoted, so nothing is syntax)."""
    return " OR ".join('"' + t.replace('"', '""') + '"' for t in dict.fromkeys(terms))


class Vocabulary:
    def __init__(self, store: Store):
        self.store = store

    def add(self, terms: Iterable[str]) -> None:
        """Record the terms not known yet (call inside the write transaction)."""
        for term in sorted({t for t in terms if len(t) >= MIN_TERM_LENGTH}):
            self.store.run("INSERT OR IGNORE INTO known_terms (term, skeleton) VALUES (?, ?)", [term, skeleton(term)])

    def clear(self) -> None:
        """Forget every term, before adding them all again (call inside the write transaction)."""
        self.store.run("DELETE FROM known_terms")
        self.store.run("INSERT INTO term_trigrams (term_trigrams) VALUES ('delete-all')")

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
