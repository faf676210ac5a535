"""Errors raised by the ingestion layer.

Every error names the offending value and how to fix it. All of them are
re-exported by :mod:`qa.errors`, which is where users import them from.
"""

from __future__ import annotations


class QAError(Exception):
    """Base class of every error article-qa raises on purpose."""


class SettingsError(QAError, ValueError):
    """A setting (argument, environment variable or CLI flag) has a bad value."""


class TokenizerError(QAError):
    """A tiktoken encoding cannot be resolved."""


class ModelLoadError(QAError):
    """The embedding model cannot be found or loaded."""


class TextTooLongError(QAError, ValueError):
    """A text is longer than the embedding model can read without truncating it."""


class ArticleError(QAError, ValueError):
    """An input file or record cannot be turned into an article."""

    def __init__(self, source: str, reason: str, line: int | None = None):
        self.source = source
        self.reason = reason
        self.line = line
        where = f"{source}:{line}" if line is not None else source
        super().__init__(f"{where}: {reason}")


class IndexNotFoundError(QAError, FileNotFoundError):
    """The index directory does not exist or holds no index."""


class IndexMismatchError(QAError):
    """The index was built with other settings than the ones asked for."""


class IndexCorruptError(QAError):
    """The files of an index directory disagree with each other or cannot be read."""


class IndexBusyError(QAError):
    """Another process is writing to the index."""


class IndexWriteError(QAError, OSError):
    """The index cannot be written (disk full, no permission, an I/O error).

    What was committed before stays intact; ``report`` holds what an ingest did until then.
    """

    report = None


class ClusterError(QAError):
    """A Ray cluster cannot be used: Ray is not installed, or the address cannot be reached."""


class ShardSetError(QAError):
    """A directory of shards (``qa ingest --shards N``) is incomplete or its shards disagree."""
