"""Every error article-qa raises on purpose, importable from one place.

Catch :class:`QAError` to catch them all. Each message names the bad value and the fix.
"""

from index import (
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
    SettingsError,
    ShardSetError,
    TextTooLongError,
    TokenizerError,
)


class QuestionError(QAError, ValueError):
    """A question or its options (k, filters) are not usable."""


class QuestionTimeoutError(QAError, TimeoutError):
    """A question took longer than its time budget (``QA_QUESTION_SECONDS``)."""


__all__ = [
    "ArticleError",
    "ClusterError",
    "FetchError",
    "IndexBusyError",
    "IndexCorruptError",
    "IndexMismatchError",
    "IndexNotFoundError",
    "IndexWriteError",
    "ModelLoadError",
    "QAError",
    "QuestionError",
    "QuestionTimeoutError",
    "SettingsError",
    "ShardSetError",
    "TextTooLongError",
    "TokenizerError",
]
