"""Words as the keyword index sees them: lower case, accents removed, split at non-letters.

This matches SQLite FTS5's ``unicode61 remove_diacritics 2`` tokenizer closely enough
for term statistics computed in Python to line up with the ones in the database.
"""

from __future__ import annotations

import re
import unicodedata

_TOKEN = re.compile(r"[^\W_]+")
_COMBINING = re.compile(r"[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")

# Shorter terms are not matched to spelling variants ("at", "of" would match everything).
MIN_TERM_LENGTH = 3

STOPWORDS = frozenset(
    """
    a an and are as at be been but by can could did do does for from had has have he her his how
    i if in into is it its me my no not of on or our she so than that the their them then there
    these they this those to us was we were what when where which while who whom whose why will
    with would you your
    """.split()
)


def terms(text: str) -> list[str]:
    """Keyword-index terms of ``text``, in order."""
    text = text.lower()
    if not text.isascii():
        text = _COMBINING.sub("", unicodedata.normalize("NFKD", text))
    return _TOKEN.findall(text)


def content_terms(text: str) -> list[str]:
    """Distinct terms of ``text`` that carry meaning (no stopwords), in order."""
    seen: dict[str, None] = {}
    for term in terms(text):
        if term not in STOPWORDS:
            seen.setdefault(term)
    return list(seen)


def skeleton(term: str) -> str:
    """First letter, then the consonants without repeats: transliterations of one name
    share it ("tal", "tell" -> "tl"; "rifaat", "rifat" -> "rft")."""
    if not term:
        return ""
    out = [term[0]]
    for ch in term[1:]:
        if ch not in "aeiouy" and ch != out[-1]:
            out.append(ch)
    return "".join(out)
