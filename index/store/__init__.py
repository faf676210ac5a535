"""The SQLite database of an index: articles, chunks and sentences, its migrations, keyword
search (tantivy) and the vocabulary, filters, and the FAISS vector segments."""

from index.store import codec  # the vector codec, as a namespace (codec.encode, codec.decode)
from index.store.database import ArticleSummary, ChunkRow, Feed, Store
from index.store.filters import Filter
from index.store.keywords import KeywordIndex, KeywordPassage, segment_files
from index.store.segments import ANN_MIN_VECTORS, Segment, SegmentSet, dump, plan_merge, segment_file
from index.store.spelling import Vocabulary
from index.store.sqlite import check_file, file_problem, lost_texts_hint, repair_hint, varint
from index.store.vectors import VectorIndex, fsync_dir

__all__ = [
    "ANN_MIN_VECTORS", "ArticleSummary", "ChunkRow", "Feed", "Filter", "KeywordIndex", "KeywordPassage",
    "Segment", "SegmentSet", "Store", "VectorIndex", "Vocabulary", "check_file", "codec", "dump",
    "file_problem", "fsync_dir", "lost_texts_hint", "plan_merge", "repair_hint", "segment_file",
    "segment_files", "varint"
]
