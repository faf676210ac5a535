"""What a question asks the keyword index: its content words, IDF weights, spelling variants.

Words the index has never seen are matched to close spellings it has, through the
vocabulary's character-trigram index: "Rif'at" -> "rifaat", "Tel Rifat" -> "rifaat".
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, replace

from index import IndexReader, content_terms, terms

_APOSTROPHE_WORD = re.compile(r"\b(\w+)['’`‘](\w+)\b")
CARRIED_WEIGHT = 0.5  # a carried subject's words, when marking the answer to a follow-up
MAX_KEYWORD_TERMS = 32  # more would make FTS5 rank by common words and slow it down
MAX_SPELLING_LOOKUPS = 8  # unknown words matched to known spellings (each costs two small queries)


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
class Query:
    text: str
    terms: tuple[str, ...]  # keyword-search terms, variants included
    variants: dict[str, tuple[str, ...]]  # unknown word -> known spellings it was matched to
    weights: QueryTerms  # IDF weights of the question's own words, for highlighting


def analyze(question: str, reader: IndexReader) -> Query:
    words = content_terms(question)
    joined = [a + b for a, b in _APOSTROPHE_WORD.findall(question.lower())]  # rif'at -> rifat
    frequencies, total = reader.term_frequencies(words + joined)
    variants: dict[str, tuple[str, ...]] = {}
    for word in list(dict.fromkeys(words + joined))[: MAX_KEYWORD_TERMS]:
        if frequencies.get(word, 0) == 0 and len(variants) < MAX_SPELLING_LOOKUPS:
            similar = reader.similar_terms(word)
            if similar:
                variants[word] = tuple(similar)
    if len(words) > MAX_KEYWORD_TERMS:  # a pasted paragraph: search by its rarest words
        keep = set(sorted(words, key=lambda w: frequencies.get(w, 0))[:MAX_KEYWORD_TERMS])
        words = [w for w in words if w in keep]
    terms = [*words, *(t for spellings in variants.values() for t in spellings)]
    if variants:
        extra, _ = reader.term_frequencies([t for s in variants.values() for t in s])
        frequencies.update(extra)
    # "rif'at" is both the words "rif", "at" and the joined "rifat": weigh the joined form
    text = question + " " + " ".join(joined)
    split_parts = {part for a, b in _APOSTROPHE_WORD.findall(question.lower()) for part in (a, b)}
    weighted = " ".join(w for w in content_terms(text) if w not in split_parts or not joined)
    return Query(question, tuple(dict.fromkeys(terms)), variants,
                 QueryTerms.from_frequencies(weighted, frequencies, total, variants))


def focused(query: Query, own: str) -> Query:
    """``query`` (a follow-up searched with a carried subject) weighing the user's ``own``
    words fully and the carried ones at CARRIED_WEIGHT, to mark the sentence that answers
    what the user asked about that subject."""
    mine = set(content_terms(own))
    weights = {spellings: w if mine & set(spellings) else w * CARRIED_WEIGHT
               for spellings, w in query.weights.weights.items()}
    return replace(query, text=own, weights=QueryTerms(weights))


def shorten(question: str, weights: QueryTerms, fits) -> str:
    """``question`` cut to what the embedding model can read: its capitalized names and its
    rarest words (by IDF), in their order, as many as ``fits(text)`` allows."""
    ranked = sorted(weights.weights.items(), key=lambda item: -item[1])
    words = question.split()
    keep = len(ranked)
    while keep > 0:
        rare = {t for spellings, _ in ranked[:keep] for t in spellings}
        kept = [w for w in words if set(terms(w)) & rare or (w[:1].isupper() and keep >= len(ranked) // 2)]
        text = " ".join(dict.fromkeys(kept))
        if text and fits(text):
            return text
        keep //= 2
    return " ".join(words[:16])
