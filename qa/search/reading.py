"""The reader's stage of a question: read the best candidates and blend.

After the sentence rerank, the reader (qa/search/reader.py) reads the window of each of the best
``depth`` candidates. Each read candidate gets ``has_answer`` (``Candidate.has_answer``) and its
spans (:class:`ShortAnswer`), and ``weight x has_answer`` is added to its score. Which span
answers the question, and how surely, is qa/search/verdict.py's. Depth and weight were
chosen when the model was trained (``reader.json`` beside it).
"""

from __future__ import annotations

from qa.search.reader import Reader, Reading, Window, windows
from qa.search.record import Evidence, ShortAnswer, Span


def short_answer(window: Window, reading: Reading, passage: str) -> ShortAnswer | None:
    """The reader's ``reading`` of ``window`` as a :class:`ShortAnswer` in the passage's own offsets."""
    start, end = reading.span
    if end <= start:
        return None

    def located(a: int, b: int, p: float) -> Span:
        span = window.to_passage(a, b)
        return Span(passage[span[0] : span[1]], span, window.sentence_of(a), round(p, 4))

    first = located(start, end, reading.span_probability)
    return ShortAnswer(window.chunk_id, first.text, first.span, first.sentence, round(reading.has_answer, 4),
               round(reading.score, 4), first.probability,
               tuple(located(a, b, p) for a, b, p in reading.alternatives),
               (reading.start_mass, reading.end_mass))


def read_best(reader: Reader, evidence: Evidence, depth: int,
              question: str | None = None) -> dict[int, ShortAnswer | None]:
    """Read the best ``depth`` candidates of ``evidence`` (sorted best first) with ``question``
    (else the one searched): for each, its short answer (None when its window held no sentence
    to read), and ``candidate.has_answer``."""
    top = evidence.candidates[:depth]
    found = windows(evidence, [c.chunk_id for c in top])
    ordered = [found[c.chunk_id] for c in top if c.chunk_id in found]
    readings = dict(zip([w.chunk_id for w in ordered], reader.read(question or evidence.question, ordered)))
    out: dict[int, ShortAnswer | None] = {}
    for candidate in top:
        reading = readings.get(candidate.chunk_id)
        if reading is None:
            candidate.has_answer = 0.0
            out[candidate.chunk_id] = None
            continue
        candidate.has_answer = reading.has_answer
        out[candidate.chunk_id] = short_answer(found[candidate.chunk_id], reading,
                                                 evidence.rows[candidate.chunk_id].text)
    return out


def blend(evidence, weight: float) -> None:
    """Add ``weight x has_answer`` to the score of each read candidate and sort again."""
    for candidate in evidence.candidates:
        if candidate.has_answer is not None:
            candidate.score += weight * candidate.has_answer
    evidence.candidates.sort(key=lambda c: -c.score)
