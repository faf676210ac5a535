"""Second stage: rerank the best fused candidates. A pluggable step.

* ``sentence`` (default): blend the fused score with the passage's best-sentence score
  (its stored sentence vectors against the question, plus IDF-weighted word overlap), the
  same evidence the highlight uses. No model call per candidate: vectors come from ingest.
* ``cross-encoder:MODEL``: any sentence-transformers ``CrossEncoder`` (name in the local
  Hugging Face cache, or a folder) scores (question, passage) pairs. None ships its weights
  in a package, so it is off by default; it costs one model call per candidate.
* ``none``: keep the fused order.
"""

from __future__ import annotations

import functools
import logging
from typing import Protocol

import numpy as np

from index import ChunkRow, ModelLoadError, SettingsError, resolve_model
from qa.choices import CROSS_ENCODER, RERANKERS
from qa.search.highlight import SentenceMatch, choose_answer
from qa.search.hybrid import minmax
from qa.search.query import Query
from qa.search.record import Evidence

log = logging.getLogger(__name__)

RERANK_DEPTH = 20  # how many fused candidates a reranker sees
SENTENCE_WEIGHT = 0.1  # weight of the best-sentence score against the fused score
CROSS_ENCODER_WEIGHT = 0.8


class Reranker(Protocol):
    def rerank(self, evidence: Evidence) -> None:
        """Set ``candidate.score`` for each of ``evidence.candidates``."""


class NoReranker:
    def rerank(self, evidence: Evidence) -> None:
        return None


class SentenceReranker:
    def rerank(self, evidence: Evidence) -> None:
        candidates = evidence.candidates
        best = minmax([evidence.answers[c.chunk_id].score for c in candidates])
        for candidate, sentence in zip(candidates, best):
            candidate.score = (1 - SENTENCE_WEIGHT) * candidate.score + SENTENCE_WEIGHT * float(sentence)


class CrossEncoderReranker:
    def __init__(self, name: str, offline: bool = True, device: str = "cpu"):
        self.model = _load_cross_encoder(name, offline, device)

    def rerank(self, evidence: Evidence) -> None:
        candidates = evidence.candidates
        pairs = [(evidence.question, evidence.rows[c.chunk_id].text) for c in candidates]
        scores = minmax(np.asarray(self.model.predict(pairs, show_progress_bar=False), dtype=np.float64))
        for candidate, score in zip(candidates, scores):
            candidate.score = (1 - CROSS_ENCODER_WEIGHT) * candidate.score + CROSS_ENCODER_WEIGHT * float(score)


@functools.lru_cache(maxsize=2)
def _load_cross_encoder(name: str, offline: bool, device: str):
    from sentence_transformers import CrossEncoder

    location = resolve_model(name, offline)
    try:
        return CrossEncoder(location, device=device)
    except Exception as exc:  # OSError, ValueError, HF errors
        raise ModelLoadError(f"cannot load cross-encoder {name!r} from {location}: {exc}") from exc


def make_reranker(spec: str, offline: bool = True, device: str = "cpu") -> Reranker:
    """The reranker a ``rerank`` setting names (one of ``qa.choices.RERANKERS``)."""
    if spec.startswith(CROSS_ENCODER):
        return CrossEncoderReranker(spec.removeprefix(CROSS_ENCODER), offline, device)
    builders = {"none": NoReranker, "sentence": SentenceReranker}
    if spec not in builders:
        raise SettingsError(f"rerank={spec!r}: use one of {', '.join(RERANKERS)}")
    return builders[spec]()


def answers_for(query: Query, query_vector: np.ndarray, rows: dict[int, ChunkRow],
                sentences: dict[int, tuple[list[tuple[int, int]], np.ndarray]]) -> dict[int, SentenceMatch]:
    """The answering sentence of every candidate passage."""
    return {chunk_id: choose_answer(query_vector, query.weights, row.text, row.start, *sentences[chunk_id])
            for chunk_id, row in rows.items()}
