"""The reader's stage of a question: read the best candidates and blend.

After the sentence rerank, the reader (qa/search/reader.py) reads the window of each of the best
``depth`` candidates. Each read candidate gets ``has_answer`` (``Candidate.reader``) and its
spans (:class:`ShortAnswer`), and ``weight x has_answer`` is added to its score. Which span
answers the question, and how surely, is qa/search/verdict.py's. Depth and weight were
chosen when the model was trained (``reader.json`` beside it).
"""

from __future__ import annotations

from dataclasses import dataclass

from qa.search.reader import Reader, Reading, Window, windows


@dataclass(frozen=True)
class Span:
    """One answer span the reader found in a passage."""

    text: str  # as the passage writes it
    span: tuple[int, int]  # in the passage's text
    sentence: tuple[int, int]  # the sentence holding it, in the passage's text
    probability: float  # the span's probability, given that the passage answers


@dataclass(frozen=True)
class ShortAnswer:
    """The reader's answer found in one passage, and its next best spans."""

    chunk_id: int
    text: str  # the short answer, as the passage writes it
    span: tuple[int, int]  # in the passage's text
    sentence: tuple[int, int]  # the sentence holding it, in the passage's text
    has_answer: float  # the reader's probability that the passage answers the question
    probability: float  # has_answer x the span's probability
    span_probability: float = 0.0  # the span's probability, given that the passage answers
    alternatives: tuple[Span, ...] = ()  # the next best spans, best first
    masses: tuple[float, float] = (0.0, 0.0)  # the reading's start and end masses (qa/search/verdict.py)

    @classmethod
    def of(cls, window: Window, reading: Reading, passage: str) -> ShortAnswer | None:
        start, end = reading.span
        if end <= start:
            return None

        def located(a: int, b: int, p: float) -> Span:
            span = window.to_passage(a, b)
            return Span(passage[span[0] : span[1]], span, window.sentence_of(a), round(p, 4))

        first = located(start, end, reading.span_probability)
        return cls(window.chunk_id, first.text, first.span, first.sentence, round(reading.has_answer, 4),
                   round(reading.score, 4), first.probability,
                   tuple(located(a, b, p) for a, b, p in reading.alternatives),
                   (reading.start_mass, reading.end_mass))

    @property
    def spans(self) -> tuple[Span, ...]:
        """Every span found, best first."""
        return (Span(self.text, self.span, self.sentence, self.span_probability), *self.alternatives)


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
