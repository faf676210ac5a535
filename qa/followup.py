"""Follow-up questions without a language model: carry the earlier subject forward.

"who holds Tal Rifaat?" then "and who took Aleppo?" or "when did that happen?": when the
new question leans on the conversation (a pronoun, "and ...", "what about ...", or too
few words of its own), the subject of the previous searched question (its names, else
its content words) is added to what is searched. The rewritten text is shown to the
user, who can correct it. A question that stands on its own is searched as asked.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from index.terms import STOPWORDS, content_terms

_LEANING_START = re.compile(r"^\s*(and|but|also|so|then|what about|how about|what else)\b", re.I)
_PRONOUN = re.compile(r"\b(it|its|they|them|their|that|this|those|these|there|he|she|him|her|his|hers|"
                      r"the town|the city|the group|the country|the company|the same)\b", re.I)
_NAME = re.compile(r"\b([A-Z][\w'’-]*(?:\s+(?:al-|de |of |bin )?[A-Z][\w'’-]*)*)")
_QUESTION_WORDS = {"who", "what", "when", "where", "why", "how", "which", "whom", "whose", "and", "did", "does",
                   "is", "are", "was", "were", "do"}
MIN_OWN_WORDS = 2  # a question with fewer content words of its own leans on the previous one


def subject(question: str) -> str:
    """The subject of a question: its capitalized names, else its content words."""
    names = [n for n in _NAME.findall(question) if n.lower() not in _QUESTION_WORDS]
    names = [n for n in names if not (len(n.split()) == 1 and n.lower() in STOPWORDS)]
    if names:
        return " ".join(dict.fromkeys(names))
    return " ".join(w for w in content_terms(question) if w not in _QUESTION_WORDS)


def _own_words(question: str) -> list[str]:
    return [w for w in content_terms(question) if w not in _QUESTION_WORDS]


def leans_on_context(question: str) -> bool:
    own = _own_words(question)
    return bool(_LEANING_START.match(question) and len(own) <= 3) or bool(_PRONOUN.search(question)) \
        or len(own) < MIN_OWN_WORDS


def rewrite(question: str, previous: Sequence[str]) -> str:
    """The text to search for ``question``, given the earlier searched questions (oldest first)."""
    question = " ".join(question.split())
    if not previous or not leans_on_context(question):
        return question
    carried = subject(previous[-1])
    if not carried:
        return question
    own = {w.lower() for w in content_terms(question)}
    missing = [w for w in carried.split() if w.lower() not in own]
    return f"{question} ({' '.join(missing)})" if missing else question


def answer_focus(question: str, searched: str) -> str | None:
    """What the marked sentence should answer for a rewritten follow-up: the user's own words
    when they say enough ("and who took Aleppo?"), else None (mark by what was searched)."""
    if searched == question:
        return None
    return question if len(_own_words(question)) >= MIN_OWN_WORDS else None
