"""``qa compact``: merge an index's vector segments into one, for good.

After many small ingests an index holds several segments (see :mod:`index.store.segments`),
and removed articles leave their vectors in them until a merge. Compacting writes one
segment of the live vectors (approximate when it is large enough), commits it as a new
generation, and deletes the old files; readers pick it up on their next question. A
database more than a tenth free pages (an index written before passages became spans of
their article: migration 5 leaves the room their copied texts took) is vacuumed.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass

from index.directory import IndexDir, IndexWriter
from index.settings import IndexSettings
from index.store import ANN_MIN_VECTORS


@dataclass
class CompactReport:
    path: str
    segments_before: int
    segments_after: int
    vectors: int  # live vectors after the merge
    removed_dropped: int  # vectors of removed chunks no longer held
    approximate: bool  # the merged segment is IVF (large enough), not exact
    changed: bool
    seconds: float
    reclaimed_bytes: int = 0  # free database pages given back (VACUUM when they were over a tenth of the file)

    def to_dict(self) -> dict:
        return asdict(self)


def compact(settings: IndexSettings | None = None, ann_min: int = ANN_MIN_VECTORS) -> CompactReport:
    """Merge every vector segment of ``settings.index_dir`` into one (waits for a running writer)."""
    settings = settings or IndexSettings.from_env()
    index_dir = IndexDir(settings.index_dir)
    index_dir.require()
    started = time.perf_counter()
    with index_dir.write_lock():
        writer = IndexWriter(index_dir, settings, embedder=None)
        try:
            before, removed = len(writer.segments), len(writer.store.removed_ids())
            changed = writer.merge(everything=True, ann_min=ann_min)
            after = writer.segments
            vectors = sum(s.count for s in after)
            reclaimed = writer.store.reclaim()
        finally:
            writer.close()
    approximate = bool(after) and vectors >= ann_min
    return CompactReport(str(index_dir.path), before, len(after), vectors, removed if changed else 0,
                         approximate, changed, time.perf_counter() - started, reclaimed)
