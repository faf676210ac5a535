"""The one settings object: the index's settings plus the question and serving ones.

Defaults live in code; ``QA_*`` environment variables override them when
:meth:`Settings.from_env` is called (never at import time); command-line flags override both.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from index import SHARD_TIMEOUT_S, IndexSettings, SettingsError
from qa.choices import RERANKERS, RETRIEVALS, is_reranker

# The confidence (qa/search/matching.py) under which no passage is presented as an answer;
# fitted by bench/refusal.py on the training half of squad11-dev's articles.
MIN_SCORE = 0.61
MAX_CANDIDATES = 1000  # per retriever, before fusion


MAX_CONCURRENCY = 64


@dataclass(frozen=True)
class Settings(IndexSettings):
    """Every knob of article-qa, with its default (the index's ones: :class:`IndexSettings`).

    ``top_k``: passages per answer. ``retrieval``: one of ``qa.choices.RETRIEVALS``.
    ``rerank``: one of ``qa.choices.RERANKERS``. ``candidates``: how many passages each
    retriever proposes before fusion. ``reader``: read the best passages with the extractive
    reader (short answers; it decides what is answered). ``min_score``: without the reader,
    below this confidence nothing counts as an answer. ``host``/``port``: where ``qa serve``
    listens. ``allowed_hosts``: comma-separated names a request's Host header may give besides
    the loopback ones and the bind address. ``concurrency``: questions ``qa serve`` answers at
    once (chat and ``/search`` together; writes stay one at a time). ``allow_private_urls``: let
    the web app's url box fetch loopback, private and link-local addresses (off: it is a way
    into the server's network otherwise). ``shard_timeout``: for a shard set, the seconds each
    shard has to answer one call of a question; one that does not is left out of that answer,
    which says so. ``question_seconds``: a question's time budget, checked between its stages:
    one that spends it ends with :class:`qa.errors.QuestionTimeoutError`.
    """

    ENV_VARS: ClassVar[dict[str, str]] = IndexSettings.ENV_VARS | {
        "top_k": "QA_TOP_K",
        "retrieval": "QA_RETRIEVAL",
        "rerank": "QA_RERANK",
        "candidates": "QA_CANDIDATES",
        "min_score": "QA_MIN_SCORE",
        "reader": "QA_READER",
        "host": "QA_HOST",
        "port": "QA_PORT",
        "concurrency": "QA_CONCURRENCY",
        "model_threads": "QA_MODEL_THREADS",
        "allowed_hosts": "QA_ALLOWED_HOSTS",
        "allow_private_urls": "QA_ALLOW_PRIVATE_URLS",
        "shard_timeout": "QA_SHARD_TIMEOUT",
        "question_seconds": "QA_QUESTION_SECONDS",
    }

    top_k: int = 5
    retrieval: str = "hybrid"
    rerank: str = "sentence"
    candidates: int = 50
    min_score: float = MIN_SCORE
    reader: bool = True  # the extractive reader (qa/search/reader.py): short answers, refusal, part of the ranking
    host: str = "127.0.0.1"
    port: int = 7860
    concurrency: int = 4
    # cores one call of the embedder or the reader may use (0: up to 4 for one question at a
    # time; `qa serve` makes it 1, so concurrent questions each take a core: bench/load.py)
    model_threads: int = 0
    allowed_hosts: str = ""  # names besides the loopback ones and the bind address a request's Host may give
    allow_private_urls: bool = False  # the web app's url box may fetch loopback/private/link-local addresses
    shard_timeout: float = SHARD_TIMEOUT_S  # seconds a shard has for one call of a question, else left out
    question_seconds: float = 10.0  # a question's time budget, checked between its stages (qa/search/timing.py)

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.retrieval not in RETRIEVALS:
            raise SettingsError(f"retrieval={self.retrieval!r} is not one of {', '.join(RETRIEVALS)}")
        if not is_reranker(self.rerank):
            raise SettingsError(f"rerank={self.rerank!r}: use one of {', '.join(RERANKERS)}")
        if not 5 <= self.candidates <= MAX_CANDIDATES:
            raise SettingsError(f"candidates={self.candidates} must be between 5 and {MAX_CANDIDATES}")
        if self.top_k < 1:
            raise SettingsError(f"top_k={self.top_k} must be at least 1")
        if not 0 < self.port < 65536:
            raise SettingsError(f"port={self.port} is not a TCP port: use 1-65535")
        if not 0 <= self.model_threads <= 64:
            raise SettingsError(f"model_threads={self.model_threads} must be between 0 (automatic) and 64")
        if not 0.1 <= self.question_seconds <= 3600:
            raise SettingsError(f"question_seconds={self.question_seconds} must be between 0.1 and 3600 seconds")
        if not 0.05 <= self.shard_timeout <= 600:
            raise SettingsError(f"shard_timeout={self.shard_timeout} must be between 0.05 and 600 seconds")
        if not 1 <= self.concurrency <= MAX_CONCURRENCY:
            raise SettingsError(f"concurrency={self.concurrency} must be between 1 and {MAX_CONCURRENCY}")
