"""What a question asks the keyword index: its content words, IDF weights, spelling variants.

Words the index has never seen are matched to close spellings it has, through the
vocabulary's character-trigram index: "Rif'at" -> "rifaat", "Tel Rifat" -> "rifaat".
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from index.keywords import KeywordIndex
from index.terms import content_terms
from qa.highlight import QueryTerms

_APOSTROPHE_WORD = re.compile(r"\b(\w+)['’`‘](\w+)\b")


@dataclass(frozen=True)
class Query:
    text: str
    terms: tuple[str, ...]  # keyword-search terms, variants included
    variants: dict[str, tuple[str, ...]]  # unknown word -> known spellings it was matched to
    weights: QueryTerms  # IDF weights of the question's own words, for highlighting


def analyze(question: str, keywords: KeywordIndex) -> Query:
    words = content_terms(question)
    joined = [a + b for a, b in _APOSTROPHE_WORD.findall(question.lower())]  # rif'at -> rifat
    frequencies, total = keywords.document_frequencies(words + joined)
    variants: dict[str, tuple[str, ...]] = {}
    for word in dict.fromkeys(words + joined):
        if frequencies.get(word, 0) == 0:
            similar = keywords.similar_terms(word)
            if similar:
                variants[word] = tuple(similar)
    terms = [*words, *(t for spellings in variants.values() for t in spellings)]
    if variants:
        extra, _ = keywords.document_frequencies([t for s in variants.values() for t in s])
        frequencies.update(extra)
    # "rif'at" is both the words "rif", "at" and the joined "rifat": weigh the joined form
    text = question + " " + " ".join(joined)
    split_parts = {part for a, b in _APOSTROPHE_WORD.findall(question.lower()) for part in (a, b)}
    weighted = " ".join(w for w in content_terms(text) if w not in split_parts or not joined)
    return Query(question, tuple(dict.fromkeys(terms)), variants,
                 QueryTerms.from_frequencies(weighted, frequencies, total, variants))
