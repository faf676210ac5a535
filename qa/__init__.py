"""article-qa: ask questions of your news articles, get cited passages back.

    >>> import qa
    >>> qa.ingest(["articles/"])
    >>> for p in qa.retrieve("who holds Tal Rifaat?"):
    ...     print(p.rank, p.title, p.answer)
"""

import logging

from index.ingest import IngestReport
from index.settings import Settings
from qa.api import ingest, open_index, retrieve
from qa.passage import IndexInfo, Passage
from qa.retriever import Index

logging.getLogger(__name__).addHandler(logging.NullHandler())

__all__ = ["Index", "IndexInfo", "IngestReport", "Passage", "Settings", "ingest", "open_index", "retrieve"]
