"""Pick the sentence of a passage that best answers the question.

A sentence's score blends its embedding similarity to the question (sentence vectors
are stored at ingest, so this is a dot product, not a model call) with how much of the
question's rare words it contains (IDF-weighted, from the keyword index). When the
answer runs over two adjacent sentences that match the question about equally well
("X seized the town." / "In light of the takeover of the town, ..."), both are marked.

Measured by ``bench/highlight.py`` on the dev sets: the blend marks a sentence holding
the answer more often than embedding similarity alone (see README).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from index.terms import content_terms, terms

LEXICAL_WEIGHT = 0.3  # weight of the IDF-weighted word overlap, which lies in [0, 1]
EXTEND_RATIO = 0.85  # a neighbour scoring this share of the best sentence is marked too


@dataclass(frozen=True)
class QueryTerms:
    """The question's content words with their IDF weights.

    A key is a tuple of alternative spellings: a word the index does not know is
    represented by the known spellings it was matched to, and counts once.
    """

    weights: dict[tuple[str, ...], float]

    @classmethod
    def from_frequencies(cls, question: str, frequencies: dict[str, int], total: int,
                         variants: dict[str, tuple[str, ...]] | None = None) -> QueryTerms:
        variants = variants or {}

        def idf(term: str) -> float:
            return math.log(1 + total / (1 + frequencies.get(term, 0)))

        weights = {}
        for word in content_terms(question):
            spellings = variants.get(word, (word,))
            weights[spellings] = max(idf(t) for t in spellings)
        return cls(weights)

    def overlap(self, text: str) -> float:
        """Share of the question's (IDF-weighted) content words that ``text`` contains."""
        total = sum(self.weights.values())
        if total == 0:
            return 0.0
        present = set(terms(text))
        return sum(w for spellings, w in self.weights.items() if any(t in present for t in spellings)) / total


@dataclass(frozen=True)
class Answer:
    span: tuple[int, int]  # in the passage
    score: float  # blended score of the best sentence
    similarity: float  # its embedding similarity to the question


def choose_answer(query: np.ndarray, query_terms: QueryTerms, passage: str, passage_start: int,
                  spans: Sequence[tuple[int, int]], vectors: np.ndarray) -> Answer:
    """The answering sentence (or two adjacent ones) of a passage.

    ``spans`` are sentence spans in the article, ``passage_start`` the passage's offset
    there; with no sentences (should not happen) the whole passage is the answer.
    """
    if len(spans) == 0:
        return Answer((0, len(passage)), 0.0, 0.0)
    local = [(start - passage_start, end - passage_start) for start, end in spans]
    similarity = vectors @ query
    overlap = np.array([query_terms.overlap(passage[s:e]) for s, e in local])
    scores = similarity + LEXICAL_WEIGHT * overlap
    best = int(np.argmax(scores))
    chosen = [best]
    if scores[best] > 0 and overlap[best] > 0:
        for neighbour in (best - 1, best + 1):
            if (0 <= neighbour < len(local) and scores[neighbour] >= EXTEND_RATIO * scores[best]
                    and overlap[neighbour] >= overlap[best]):
                chosen.append(neighbour)
    span = (min(local[i][0] for i in chosen), max(local[i][1] for i in chosen))
    return Answer(span, float(scores[best]), float(similarity[best]))
