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
           is_url,
)
from qa.api import ask, backup, check, compact, ingest, list_articles, open_index, refresh, remove, repair, retrieve
from qa.evaluate import EvalResult, evaluate
from qa.passage import Answer, Citation, IndexInfo, Passage
from qa.retriever import Index
from qa.settings import Settings

logging.getLogger(__name__).addHandler(logging.NullHandler())

__all__ = [
    "ARTICLE_SUFFIXES", "Answer", "ArticleSummary", "BackupReport", "CheckReport", "Citation", "CompactReport",
    "EvalResult", "Feed", "FetchPolicy", "Index", "IndexInfo", "IngestReport", "Passage", "Problem",
    "RemoveReport", "RepairReport", "Settings", "ask", "backup", "check", "compact", "evaluate", "ingest",
    "is_url", "list_articles", "open_index", "refresh", "remove", "repair", "retrieve"
]
