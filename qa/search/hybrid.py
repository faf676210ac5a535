"""First stage: candidate passages from the vector index and the keyword index, fused.

Each retriever proposes its best ``n`` chunks (after the date/source filter, so a
filtered question never comes back empty while matching passages exist). Every
candidate then gets both scores (the dense one from its stored vector, the keyword one
0 when BM25 did not find it), each min-max normalized over the candidates, and the
fused score is their equal-weight blend. Measured on the dev sets this convex blend beat
reciprocal rank fusion (docs/retrieval.md: realtimeqa-dev R@1 .812 vs .750).
"""

from __future__ import annotations

import numpy as np

from index import Filter, IndexReader
from qa.search.query import Query
from qa.search.record import Candidate

DENSE_WEIGHT = 0.5  # the keyword weight is 1 - DENSE_WEIGHT


def gather(reader: IndexReader, query: Query, query_vector: np.ndarray,
           n: int, method: str, where: Filter | None = None) -> list[Candidate]:
    """Candidates, best first by ``score``, for ``method`` dense, keyword or hybrid."""
    dense = reader.dense_search(query_vector, n, where) if method in ("dense", "hybrid") else {}
    keyword = reader.keyword_search(query.terms, n, where) if method in ("keyword", "hybrid") else {}
    ids = list(dict.fromkeys([*dense, *keyword]))
    missing = [i for i in ids if i not in dense]
    if missing:  # keyword-only candidates still get their dense score, from the stored vector
        dense.update(zip(missing, (reader.chunk_vectors(missing) @ query_vector).tolist()))
    candidates = [Candidate(i, dense[i], keyword.get(i, 0.0)) for i in ids]
    if method == "dense":
        fused = minmax([c.dense for c in candidates])
    elif method == "keyword":
        fused = minmax([c.keyword for c in candidates])
    else:
        fused = DENSE_WEIGHT * minmax([c.dense for c in candidates]) + \
            (1 - DENSE_WEIGHT) * minmax([c.keyword for c in candidates])
    for candidate, score in zip(candidates, fused):
        candidate.score = float(score)
    return sorted(candidates, key=lambda c: -c.score)


def minmax(values) -> np.ndarray:
    """Scale to [0, 1] over the candidates (all equal -> all 1)."""
    v = np.asarray(values, dtype=np.float64)
    if v.size == 0:
        return v
    low, high = v.min(), v.max()
    return np.ones_like(v) if high - low < 1e-12 else (v - low) / (high - low)
