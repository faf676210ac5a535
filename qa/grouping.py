"""Passages grouped by article, for display: one entry per article, its passages inside.

Passages of one article that overlap (chunks share a few sentences) are joined into one
excerpt, so no sentence is shown twice; their answering sentences stay marked.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from qa.search import Citation, Passage


@dataclass(frozen=True)
class Excerpt:
    """A stretch of an article: ``marks`` are the answering sentences inside ``text``."""

    text: str
    start: int  # in the article
    end: int
    marks: tuple[tuple[int, int], ...]
    ranks: tuple[int, ...]  # the ranks of the passages it joins


@dataclass(frozen=True)
class ArticleHit:
    """An article among the results, at the rank of its best passage (which cites it)."""

    rank: int
    best: Passage  # title, url, outlet, date and byline come from it
    excerpts: tuple[Excerpt, ...]
    also_in: tuple[Citation, ...] = ()


def by_article(passages: Sequence[Passage]) -> list[ArticleHit]:
    """The articles of ``passages`` in the order of their best passage."""
    groups: dict[str, list[Passage]] = {}
    for p in sorted(passages, key=lambda p: p.rank):
        groups.setdefault(p.article_id, []).append(p)
    hits = []
    for rank, members in enumerate(groups.values(), start=1):
        first = members[0]
        also = {c.article_id: c for p in members for c in p.also_in}
        hits.append(ArticleHit(rank, first, tuple(_excerpts(members)), tuple(also.values())))
    return hits


def _excerpts(members: list[Passage]) -> list[Excerpt]:
    """The passages in article order, overlapping ones joined."""
    out: list[Excerpt] = []
    for p in sorted(members, key=lambda p: p.span[0]):
        start, end = p.span
        mark = (p.answer_span[0] + start, p.answer_span[1] + start)  # in the article
        if out and start <= out[-1].end:
            last = out[-1]
            text = last.text + (p.text[last.end - start:] if end > last.end else "")
            marks = _merge([*((a + last.start, b + last.start) for a, b in last.marks), mark])
            out[-1] = Excerpt(text, last.start, max(end, last.end),
                              tuple((a - last.start, b - last.start) for a, b in marks), (*last.ranks, p.rank))
        else:
            out.append(Excerpt(p.text, start, end, ((mark[0] - start, mark[1] - start),), (p.rank,)))
    return out


def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for a, b in sorted(spans):
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(b, merged[-1][1]))
        else:
            merged.append((a, b))
    return merged


def card_of(hits: Sequence[ArticleHit], rank: int) -> int:
    """The number of the card (article) that shows the passage ranked ``rank``."""
    for hit in hits:
        if any(rank in e.ranks for e in hit.excerpts):
            return hit.rank
    raise ValueError(f"no card shows passage {rank}")


def folded(hits: Sequence[ArticleHit], less_related: Sequence[int]) -> set[int]:
    """The cards that fold under "Less related": every passage they show is less related."""
    return {hit.rank for hit in hits if all(r in less_related for e in hit.excerpts for r in e.ranks)}
