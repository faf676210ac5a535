"""An index on disk: the folder's layout and manifest, the one writer, the reader, and swapping
a rebuilt index in."""

from index.directory.keywords import catch_up, open_keywords, pending, reconcile
from index.directory.keywords import rebuild as rebuild_keywords
from index.directory.layout import IndexDir, lost_texts_hint, model_for
from index.directory.manifest import Manifest
from index.directory.reader import Coverage, Facts, IndexReader, open_reader
from index.directory.swap import beside, remove_leftovers, swap_in
from index.directory.writer import Addition, IndexWriter

__all__ = [
    "Addition", "Coverage", "Facts", "IndexDir", "IndexReader", "IndexWriter", "Manifest", "beside", "catch_up",
    "lost_texts_hint", "model_for", "open_keywords", "open_reader", "pending", "rebuild_keywords",
    "reconcile", "remove_leftovers", "swap_in"
]
