"""Pick the sentence of a passage that best answers the question.

A sentence's score blends its embedding similarity to the question (sentence vectors
are stored at ingest, so this is a dot product, not a model call) with how much of the
question's rare words it contains (IDF-weighted, from the keyword index). When the
answer runs over two adjacent sentences that match the question about equally well
("X seized the town." / "In light of the takeover of the town, ..."), both are marked.

Measured by ``bench/highlight.py`` on the dev sets: the blend marks a sentence holding
the answer more often than embedding similarity alone (docs/retrieval.md).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

from qa.search.record import QueryTerms, SentenceMatch

LEXICAL_WEIGHT = 0.3  # weight of the IDF-weighted word overlap, which lies in [0, 1]
EXTEND_RATIO = 0.85  # a neighbour scoring this share of the best sentence is marked too
HEADING_WORDS = 12  # a line this short without a full stop is a heading, not an answer
_HEADING_END = re.compile(r"""[.!:;,"'”’)\]]$""")
_QUESTION_END = re.compile(r"""\?["'”’)\]]*$""")
# A dateline opening a story: "Tokyo (CNN)", "New York (CNN Business)", "CNN —", "WASHINGTON –",
# "ROCHESTER, N.Y. –". It says where the story was filed, never what the story says.
_DATELINE = re.compile(
    r"""\s*(?:[A-Z][\w.'’]*(?:[ ,]+[A-Z][\w.'’]*){0,3}\s*)?\((?:CNN|AP|Reuters|AFP)[\w .]{0,20}\)\s*(?:[–—-]\s*)?"""
    r"""|\s*[A-Z][A-Z.'’]{2,}(?:[ ,]+[A-Z][A-Z.'’]+){0,3}\s*[–—]\s+""")


def quotable(sentence: str) -> bool:
    """Whether ``sentence`` may be quoted as an answer: not a question, not a heading."""
    text = sentence.strip()
    if not text or _QUESTION_END.search(text):
        return False
    return bool(_HEADING_END.search(text)) or len(text.split()) > HEADING_WORDS


def dateline_length(sentence: str) -> int:
    """How many leading characters of ``sentence`` are a dateline (0 when none)."""
    found = _DATELINE.match(sentence)
    return found.end() if found and found.end() < len(sentence) else 0


def sentence_scores(query: np.ndarray, query_terms: QueryTerms, passage: str,
                    local: Sequence[tuple[int, int]], vectors: np.ndarray) -> np.ndarray:
    """Each sentence's answering score (``local`` spans are in the passage)."""
    if len(local) == 0:
        return np.zeros(0)
    overlap = np.array([query_terms.overlap(passage[s:e]) for s, e in local])
    return vectors @ query + LEXICAL_WEIGHT * overlap


def choose_answer(query: np.ndarray, query_terms: QueryTerms, passage: str, passage_start: int,
                  spans: Sequence[tuple[int, int]], vectors: np.ndarray) -> SentenceMatch:
    """The answering sentence (or two adjacent ones) of a passage: never a heading or a
    question when the passage has another sentence (its score is still the best one's).

    ``spans`` are sentence spans in the article, ``passage_start`` the passage's offset
    there; with no sentences (should not happen) the whole passage is the answer.
    """
    if len(spans) == 0:
        return SentenceMatch((0, len(passage)), 0.0, 0.0)
    local = [(start - passage_start, end - passage_start) for start, end in spans]
    similarity = vectors @ query
    overlap = np.array([query_terms.overlap(passage[s:e]) for s, e in local])
    scores = similarity + LEXICAL_WEIGHT * overlap
    top = int(np.argmax(scores))  # what the passage is ranked by, a heading or a question included
    usable = np.array([quotable(passage[s:e]) for s, e in local])
    marked = np.where(usable, scores, -np.inf) if usable.any() else scores  # what is marked: never those
    best = int(np.argmax(marked))
    chosen = [best]
    if scores[best] > 0 and overlap[best] > 0:
        for neighbour in (best - 1, best + 1):
            if (0 <= neighbour < len(local) and marked[neighbour] >= EXTEND_RATIO * scores[best]
                    and overlap[neighbour] >= overlap[best]):
                chosen.append(neighbour)
    span = (min(local[i][0] for i in chosen), max(local[i][1] for i in chosen))
    return SentenceMatch(span, float(scores[top]), float(similarity[top]))
