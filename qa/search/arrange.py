"""Last stage: recency, duplicates and order of the ranked passages.

* Recency: blend an exponential decay of the article's age into the score, when asked
  (``prefer_recent``) or when the question speaks of the present ("this week",
  "recently", "on Monday"): then age counts from the day the question is asked.
* Near-duplicates (syndicated copies of one wire story, repeated paragraphs) collapse
  into the best-ranked copy, which lists where else it was published, so the top k are
  k distinct passages.
* Order: by relevance (default), newest first, or oldest first (a timeline).
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from datetime import date

import numpy as np

from index import ChunkRow
from qa.search.candidates import Candidate

RECENCY_WEIGHT = 0.2
RECENCY_HALF_LIFE_DAYS = 30
DUPLICATE_COSINE = 0.95  # chunk vectors this close are the same passage
DUPLICATE_SHINGLES = 0.5  # or, when at least SIMILAR_COSINE, this share of 5-word shingles in common
SIMILAR_COSINE = 0.8


_PRESENT = re.compile(
    r"\b(this|last|past) (week|weekend|month)\b|\b(recent|recently|currently|now|today|yesterday|latest)\b"
    r"|\b(on|last) (monday|tuesday|wednesday|thursday|friday|saturday|sunday)\b", re.IGNORECASE)


def speaks_of_the_present(question: str) -> bool:
    """Whether the question is about what is happening now ("who won this week?")."""
    return bool(_PRESENT.search(question))


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
