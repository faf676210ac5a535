"""Articles in: load, parse, chunk, embed and store them in an index directory."""

import logging

from index.articles import Article
from index.embedder import Embedder, load_embedder
from index.ingest import IngestReport, ingest
from index.layout import IndexDir
from index.loaders import JsonlFields
from index.reader import IndexReader
from index.settings import Settings

logging.getLogger(__name__).addHandler(logging.NullHandler())

__all__ = ["Article", "Embedder", "IndexDir", "IndexReader", "IngestReport", "JsonlFields", "Settings",
           "ingest", "load_embedder"]
