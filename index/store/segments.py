"""The chunk vectors of an index as append-only segments: a commit writes only its own vectors.

Each commit that adds chunks writes one new segment file (``vectors-GGGGGG.faiss``, named
after its generation) holding just those vectors; a removal only records the removed ids
in the database (``removed_vectors``). The committed list of segments, with each file's
SHA-256 and size, lives in the database's meta table, written in the same transaction as
the rows, so a crash leaves either the old list or the new one. A commit therefore costs in
proportion to its own batch, not to the archive.

Segments are merged after a commit when a size tier fills up (:func:`plan_merge`), and all
into one on ``qa compact``. A merged segment of at least
``ANN_MIN_VECTORS`` vectors is an approximate index (IVF with 8-bit scalar quantization,
trained on its own vectors), smaller ones stay exact. Merging is where removed vectors leave
the files for good.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from index.store.vectors import VectorIndex

log = logging.getLogger(__name__)

MERGE_FACTOR = 8  # this many segments of one size tier are merged into one
ANN_MIN_VECTORS = 200_000  # a merged segment this large is approximate (bench/scale.py measures why)


@dataclass(frozen=True)
class Segment:
    file: str
    sha256: str
    bytes: int
    count: int  # vectors in the file (removed ones included, until a merge)


def segment_file(generation: int) -> str:
    """The name of the vector file a generation writes."""
    return f"vectors-{generation:06d}.faiss"


def dump(segments: Sequence[Segment]) -> str:
    return json.dumps([asdict(s) for s in segments])


def load_list(record: str | None) -> list[Segment]:
    return [Segment(**s) for s in json.loads(record)] if record else []


def tier(count: int) -> int:
    """A segment's size tier: 0 below MERGE_FACTOR**2 vectors, then one per power of MERGE_FACTOR."""
    return max(0, int(math.log(max(count, 1), MERGE_FACTOR)) - 1)


def plan_merge(segments: Sequence[Segment], everything: bool = False) -> list[Segment]:
    """The segments to merge into one now ([] when the set is fine as it is).

    A tier holding MERGE_FACTOR segments is merged (the smallest tier first), so every
    vector is rewritten about log_MERGE_FACTOR(n) times over the life of an index, and a
    question searches at most MERGE_FACTOR - 1 segments per tier. ``everything`` merges all
    (``qa compact``).
    """
    if everything:
        return list(segments)
    tiers: dict[int, list[Segment]] = {}
    for segment in segments:
        tiers.setdefault(tier(segment.count), []).append(segment)
    for level in sorted(tiers):
        if len(tiers[level]) >= MERGE_FACTOR:
            return tiers[level]
    return []


class SegmentSet:
    """The live vectors of an index: its loaded segments, minus the removed ids."""

    def __init__(self, dimension: int):
        self.dimension = dimension
        self.parts: dict[str, VectorIndex] = {}
        self.part_ids: dict[str, np.ndarray] = {}
        self.removed: frozenset[int] = frozenset()
        self._removed_array = np.zeros(0, dtype=np.int64)

    def update(self, folder: Path, segments: Sequence[Segment], removed: Sequence[int], fix: str = "") -> None:
        """Load the segments not loaded yet (checking size and checksum), drop the others."""
        wanted = {s.file: s for s in segments}
        for name in [n for n in self.parts if n not in wanted]:
            del self.parts[name], self.part_ids[name]
        for name, segment in wanted.items():
            if name not in self.parts:
                part = VectorIndex.load(Path(folder) / name, self.dimension, segment.sha256, segment.bytes, fix)
                self.parts[name] = part
                self.part_ids[name] = part.ids()
        self.removed = frozenset(int(i) for i in removed)
        self._removed_array = np.fromiter(self.removed, dtype=np.int64, count=len(self.removed))

    def __len__(self) -> int:
        return sum(len(p) for p in self.parts.values()) - len(self.removed)

    def __contains__(self, chunk_id: int) -> bool:
        return chunk_id not in self.removed and any(chunk_id in p for p in self.parts.values())

    def ids(self) -> np.ndarray:
        """Every live chunk id."""
        if not self.part_ids:
            return np.zeros(0, dtype=np.int64)
        every = np.concatenate(list(self.part_ids.values()))
        return every[~np.isin(every, self._removed_array)] if len(self.removed) else every

    def search(self, query: np.ndarray, k: int, allowed: Sequence[int] | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(ids, scores) of the ``k`` nearest live chunks (of ``allowed`` ones, when given), best first."""
        if allowed is not None:
            allowed = np.asarray(allowed, dtype=np.int64)
            if len(self.removed):
                allowed = allowed[~np.isin(allowed, self._removed_array)]
        found_ids, found_scores = [], []
        for part in self.parts.values():
            ids, scores = part.search(query, k, allowed=allowed, excluded=self._removed_array)
            found_ids.append(ids)
            found_scores.append(scores)
        if not found_ids:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        ids, scores = np.concatenate(found_ids), np.concatenate(found_scores)
        best = np.argsort(-scores, kind="stable")[:k]
        return ids[best], scores[best]

    def vectors(self, ids: Sequence[int]) -> np.ndarray:
        """The stored vectors of ``ids`` (live ones), in order."""
        out = np.zeros((len(ids), self.dimension), dtype=np.float32)
        wanted = np.asarray(ids, dtype=np.int64)
        for name, part in self.parts.items():
            here = np.isin(wanted, self.part_ids[name])
            if here.any():
                out[here] = part.vectors(wanted[here].tolist())
        return out

    def merged(self, ann_min: int = ANN_MIN_VECTORS) -> VectorIndex:
        """One new segment of the live vectors of every loaded segment."""
        ids = list(self.part_ids.values())
        ids = np.concatenate(ids) if ids else np.zeros(0, dtype=np.int64)
        if len(self.removed):
            ids = ids[~np.isin(ids, self._removed_array)]
        vectors = self.vectors(ids.tolist())
        return VectorIndex.build(self.dimension, ids, vectors, approximate=len(ids) >= ann_min)
