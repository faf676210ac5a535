"""Last stage: recency, duplicates and order of the ranked passages.

* Recency: blend an exponential decay of the article's age into the score, when asked
  (``prefer_recent``) or when the question speaks of the present ("this week",
  "recently", "on Monday"): then age counts from the day the question is asked. A question
  that names a span of days ("this week", "yesterday", "this month") puts the articles
  published within it, counted back from that day, ahead of the others.
* Near-duplicates (syndicated copies of one wire story, repeated paragraphs) collapse
  into the best-ranked copy, which lists where else it was published, so the top k are
  k distinct passages.
* Order: by relevance (default), newest first, or oldest first (a timeline).
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

from index import ChunkRow
from qa.search.hybrid import Candidate

RECENCY_WEIGHT = 0.2
RECENCY_HALF_LIFE_DAYS = 30
SPAN_LIFT = 1.0  # over the score spread: more than any later blend adds (the reader's weight is below 1)
DUPLICATE_COSINE = 0.95  # chunk vectors this close are the same passage
DUPLICATE_SHINGLES = 0.5  # or, when at least SIMILAR_COSINE, this share of 5-word shingles in common
SIMILAR_COSINE = 0.8


_PRESENT = re.compile(
    r"\b(this|last|past) (week|weekend|month)\b|\b(recent|recently|currently|now|today|yesterday|latest)\b"
    r"|\b(on|last) (monday|tuesday|wednesday|thursday|friday|saturday|sunday)\b", re.IGNORECASE)


def speaks_of_the_present(question: str) -> bool:
    """Whether the question is about what is happening now ("who won this week?")."""
    return bool(_PRESENT.search(question))


# the days a question's words span, counted back from the day it is asked (that day included)
_SPANS = ((re.compile(r"\b(today)\b", re.I), 1), (re.compile(r"\byesterday\b", re.I), 2),
          (re.compile(r"\b(this|past) (week|weekend)\b|\bon (monday|tuesday|wednesday|thursday|friday|saturday"
                      r"|sunday)\b", re.I), 7),
          (re.compile(r"\blast (week|weekend|monday|tuesday|wednesday|thursday|friday|saturday|sunday)\b", re.I), 14),
          (re.compile(r"\b(this|past) month\b", re.I), 31), (re.compile(r"\blast month\b", re.I), 62))


def named_span(question: str) -> int | None:
    """How many days back the question's own words reach ("this week": 7), or None."""
    for pattern, days in _SPANS:
        if pattern.search(question):
            return days
    return None


@dataclass(frozen=True)
class Recency:
    """How dates rank a question's candidates: ``today`` the day it is asked (None: age is
    relative to the newest candidate), ``span`` the days its words name (None: none)."""

    today: date | None
    span: int | None = None

    def apply(self, candidates: list[Candidate], rows: dict[int, ChunkRow]) -> None:
        """Blend recency into the scores; with a span and a day, lift the candidates
        published within the span above all others (by more than the scores' whole spread
        and any later blend of at most SPAN_LIFT), each group still by score. Sorted."""
        boost_recent(candidates, rows, self.today)
        if self.span is not None and self.today is not None and candidates:
            first = self.today - timedelta(days=self.span - 1)
            lift = max(c.score for c in candidates) - min(c.score for c in candidates) + SPAN_LIFT
            for c in candidates:
                day = _day(rows[c.chunk_id].published)
                if day is not None and first <= day <= self.today:
                    c.score += lift
        candidates.sort(key=lambda c: -c.score)


def boost_recent(candidates: Sequence[Candidate], rows: dict[int, ChunkRow], today: date | None = None) -> None:
    """Add up to RECENCY_WEIGHT for recent articles: by age on ``today`` (the day the
    question is asked), or, without it, relative to the newest candidate."""
    dates = {c.chunk_id: _day(rows[c.chunk_id].published) for c in candidates}
    known = [d for d in dates.values() if d is not None]
    if not known:
        return
    newest = today or max(known)
    for c in candidates:
        day = dates[c.chunk_id]
        if day is not None:
            age = max(0, (newest - day).days)
            c.score += RECENCY_WEIGHT * math.pow(0.5, age / RECENCY_HALF_LIFE_DAYS)


def collapse_duplicates(ranked: Sequence[Candidate], rows: dict[int, ChunkRow], vectors: dict[int, np.ndarray],
                        k: int) -> list[tuple[Candidate, list[int]]]:
    """The first ``k`` distinct candidates, each with the chunk ids of its duplicates."""
    kept: list[tuple[Candidate, list[int]]] = []
    shingles: dict[int, set] = {}

    def shingled(chunk_id: int) -> set:
        if chunk_id not in shingles:
            shingles[chunk_id] = _shingles(rows[chunk_id].text)
        return shingles[chunk_id]

    for candidate in ranked:
        cid = candidate.chunk_id
        for keeper, copies in kept:
            kid = keeper.chunk_id
            cosine = float(vectors[cid] @ vectors[kid])
            same = cosine >= DUPLICATE_COSINE or (
                cosine >= SIMILAR_COSINE and _overlap(shingled(cid), shingled(kid)) >= DUPLICATE_SHINGLES)
            if same:
                copies.append(cid)
                break
        else:
            if len(kept) < k:
                kept.append((candidate, []))
    return kept


def order(kept: list, rows: dict[int, ChunkRow], how: str) -> list:
    if how == "relevance":
        return kept
    undated = "0000-00-00" if how == "newest" else "9999-99-99"
    return sorted(kept, key=lambda item: rows[item[0].chunk_id].published or undated, reverse=how == "newest")


def _day(published: str | None) -> date | None:
    try:
        return date.fromisoformat(published) if published else None
    except ValueError:
        return None


def _shingles(text: str, n: int = 5) -> set:
    words = re.findall(r"\w+", text.lower())
    return {tuple(words[i : i + n]) for i in range(max(1, len(words) - n + 1))}


def _overlap(a: set, b: set) -> float:
    return len(a & b) / min(len(a), len(b)) if a and b else 0.0
