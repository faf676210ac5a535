"""Pick the sentence of a passage that best answers the question.

Sentence vectors are computed at ingest time, so this is a dot product, not a model call.
"""

from __future__ import annotations

import numpy as np


def best_sentence(question: np.ndarray, spans: list[tuple[int, int]], vectors: np.ndarray,
                  chunk_start: int, chunk_end: int) -> tuple[tuple[int, int], float]:
    """(span relative to the passage, similarity) of the sentence closest to ``question``.

    With no stored sentences (should not happen) the whole passage is the answer.
    """
    if len(spans) == 0:
        return (0, chunk_end - chunk_start), 0.0
    scores = vectors @ question
    best = int(np.argmax(scores))
    start, end = spans[best]
    return (start - chunk_start, end - chunk_start), float(scores[best])
