"""The reader's stage of a question: read the best candidates, blend, find the short answer.

After the sentence rerank, the reader (qa/search/reader.py) reads the window of each of the best
``depth`` candidates. Each read candidate gets ``has_answer`` (``Candidate.reader``), and
``weight x has_answer`` is added to its score. The question's short answer is the span of
the best-ranked read passage; the question is answered when the reader's refusal score of
that passage's evidence reaches its threshold (``qa.search.reader.Refusal``). Depth, weight and
the refusal were chosen when the model was trained (``reader.json`` beside it).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from qa.search.reader import Reader, Reading, Window, windows

if TYPE_CHECKING:  # qa.passage is the API layer above this room
    from qa.passage import Passage


@dataclass(frozen=True)
class ShortAnswer:
    """The reader's answer found in one passage."""

    chunk_id: int
    text: str  # the short answer, as the passage writes it
    span: tuple[int, int]  # in the passage's text
    sentence: tuple[int, int]  # the sentence holding it, in the passage's text
    has_answer: float  # the reader's probability that the passage answers the question
    probability: float  # has_answer x the span's probability

    @classmethod
    def of(cls, window: Window, reading: Reading, passage: str) -> ShortAnswer | None:
        start, end = reading.span
        if end <= start:
            return None
        span = window.to_passage(start, end)
        return cls(window.chunk_id, passage[span[0] : span[1]], span, window.sentence_of(start),
                   round(reading.has_answer, 4), round(reading.score, 4))


def read(reader: Reader, evidence, depth: int, question: str | None = None) -> dict[int, ShortAnswer | None]:
    """Read the best ``depth`` candidates of ``evidence`` (sorted best first) with ``question``
    (else the one searched): for each, its short answer (None when its window held no sentence
    to read), and ``candidate.reader``."""
    top = evidence.candidates[:depth]
    found = windows(evidence, [c.chunk_id for c in top])
    ordered = [found[c.chunk_id] for c in top if c.chunk_id in found]
    readings = dict(zip([w.chunk_id for w in ordered], reader.read(question or evidence.question, ordered)))
    out: dict[int, ShortAnswer | None] = {}
    for candidate in top:
        reading = readings.get(candidate.chunk_id)
        if reading is None:
            candidate.reader = 0.0
            out[candidate.chunk_id] = None
            continue
        candidate.reader = reading.has_answer
        out[candidate.chunk_id] = ShortAnswer.of(found[candidate.chunk_id], reading,
                                                 evidence.rows[candidate.chunk_id].text)
    return out


def blend(evidence, weight: float) -> None:
    """Add ``weight x has_answer`` to the score of each read candidate and sort again."""
    for candidate in evidence.candidates:
        if candidate.reader is not None:
            candidate.score += weight * candidate.reader
    evidence.candidates.sort(key=lambda c: -c.score)


def leading(passages) -> Passage | None:
    """The passage whose short answer leads: the best-ranked one the reader read (by score,
    whatever order the passages are shown in)."""
    read = [p for p in passages if p.short_answer]
    return max(read, key=lambda p: p.score, default=None)


def support(passages) -> float:
    """The best reader-less confidence (qa/search/confidence.py) among the passages the reader read."""
    return max((p.confidence for p in passages if p.reader is not None), default=0.0)


def carried_support(previous, lead: Passage) -> float:
    """What a rewritten follow-up inherits from the turn before it: that turn's support when it
    was answered and showed the article the follow-up's lead passage comes from, and the
    reader's answer lies in the sentence the first stages chose too. The support
    (:func:`support`) says the archive covers the subject; a follow-up ("when did that
    happen? (Aleppo)") matches its passages poorly in words, though the conversation already
    found them on topic. The reader reads the follow-up without the conversation, so its
    answer counts only where the sentence ranking, which searched with the subject, agrees."""
    if not getattr(previous, "answered", False) or lead.article_id not in {p.article_id for p in previous.passages}:
        return 0.0
    mine, ranked = lead.short_answer_sentence, lead.ranked_sentence
    if mine is None or ranked is None or not (ranked[0] <= mine[0] and mine[1] <= ranked[1]):
        return 0.0
    return support(previous.passages)


def differing(passages, lead: Passage, answers) -> tuple[int, ...]:
    """Ranks of passages of other articles that would answer on their own (``answers(p)``)
    with a short answer that is not the lead's (one containing the other is the same)."""
    mine = _words(lead.short_answer or "")
    seen, out = {lead.article_id}, []
    for p in passages:
        if p.article_id in seen or not p.short_answer or not answers(p):
            continue
        theirs = _words(p.short_answer)
        if theirs and not (theirs <= mine or mine <= theirs):
            out.append(p.rank)
            seen.add(p.article_id)
    return tuple(out)


def _words(text: str) -> set[str]:
    return {w for w in "".join(c.lower() if c.isalnum() else " " for c in text).split() if w not in _ARTICLES}


_ARTICLES = frozenset({"a", "an", "the"})


def conclude(refusal, passages: list[Passage], previous=None) -> tuple[bool, dict]:
    """Whether ``passages`` answer (``refusal`` of the lead passage's evidence), and the short
    answer's fields: ``text``, ``probability``, ``cited``, ``differing``. Each answer is then
    quoted by the sentence that holds it (``passages`` changed in place). ``previous``: the
    turn before a rewritten follow-up, whose support its passages may inherit."""
    lead, backing = leading(passages), support(passages)

    def answers(p: Passage, backing: float) -> bool:
        inherited = carried_support(previous, p) if previous is not None else 0.0
        return refusal.answers(p.reader, p.short_answer_probability, max(backing, inherited))

    if lead is None or not answers(lead, backing):
        return False, {}
    # another article's answer counts when its passage would answer on its own support
    short = {"text": lead.short_answer, "probability": lead.reader, "cited": lead.rank,
             "differing": differing(passages, lead, lambda p: answers(p, p.confidence))}
    for rank in (lead.rank, *short["differing"]):
        held = passages[rank - 1]
        passages[rank - 1] = replace(held, answer_span=held.short_answer_sentence)
    return True, short
