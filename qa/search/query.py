"""What a question asks the keyword index: its content words, IDF weights, spelling variants.

Words the index has never seen are matched to close spellings it has, through the
vocabulary's character-trigram index: "Rif'at" -> "rifaat", "Tel Rifat" -> "rifaat".
"""

from __future__ import annotations

import re
from dataclasses import replace

from index import IndexReader, content_terms, terms
from qa.search.record import Query, QueryTerms

_APOSTROPHE_WORD = re.compile(r"\b(\w+)['’`‘](\w+)\b")
CARRIED_WEIGHT = 0.5  # a carried subject's words, when marking the answer to a follow-up
MAX_KEYWORD_TERMS = 32  # more would make FTS5 rank by common words and slow it down
MAX_SPELLING_LOOKUPS = 8  # unknown words matched to known spellings (each costs two small queries)


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
