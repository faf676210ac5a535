"""article-qa: ask questions of your news articles, get cited passages back.

    >>> import qa
    >>> qa.ingest(["articles/"])
    >>> for p in qa.retrieve("who holds Tal Rifaat?"):
    ...     print(p.rank, p.title, p.answer)
"""

import logging

from index import SUFFIXES as ARTICLE_SUFFIXES
from index import (
           ArticleSummary,
           BackupReport,
           CheckReport,
           CompactReport,
           Feed,
           FetchPolicy,
           IngestReport,
           Problem,
           RemoveReport,
           RepairReport,
           is_shard_set,
           is_url,
)
from qa.api import ask, backup, check, compact, ingest, list_articles, open_index, refresh, remove, repair, retrieve
from qa.choices import ORDERS
from qa.cluster import serve_shards
from qa.errors import (
           ArticleError,
           ClusterError,
           FetchError,
           IndexBusyError,
           IndexCorruptError,
           IndexMismatchError,
           IndexNotFoundError,
           IndexWriteError,
           ModelLoadError,
           QAError,
           QuestionError,
           QuestionTimeoutError,
           SettingsError,
           TextTooLongError,
           TokenizerError,
)
from qa.evaluation import EvalResult, evaluate
from qa.export import citation_text, conversation_markdown, safe_url
from qa.grouping import ArticleHit, Excerpt, by_article, card_of, folded
from qa.info import IndexInfo
from qa.options import settings_options
from qa.retriever import Index
from qa.search import Answer, Citation, Passage, check_date
from qa.settings import Settings

logging.getLogger(__name__).addHandler(logging.NullHandler())

__all__ = [
    "ARTICLE_SUFFIXES", "Answer", "ArticleError", "ArticleHit", "ArticleSummary", "BackupReport", "CheckReport",
    "Citation", "ClusterError", "CompactReport", "EvalResult", "Excerpt", "Feed", "FetchError", "FetchPolicy",
    "Index", "IndexBusyError", "IndexCorruptError", "IndexInfo", "IndexMismatchError", "IndexNotFoundError",
    "IndexWriteError", "IngestReport", "ModelLoadError", "ORDERS", "Passage", "Problem", "QAError",
    "QuestionError", "QuestionTimeoutError", "RemoveReport", "RepairReport", "Settings", "SettingsError",
    "TextTooLongError", "TokenizerError", "ask", "backup", "by_article", "card_of", "check", "check_date",
    "citation_text", "compact", "conversation_markdown", "evaluate", "folded", "ingest", "is_shard_set",
    "is_url", "list_articles", "open_index", "refresh", "remove", "repair", "retrieve", "safe_url",
    "serve_shards", "settings_options"
]
