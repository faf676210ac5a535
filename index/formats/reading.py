"""Reading one article file of any format: the table of formats, and each file's articles or
its :class:`ArticleError` (never an exception that stops the caller)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

from index.errors import ArticleError
from index.formats import html, jsonl, markdown, pdf, text
from index.formats.decoding import decode, read_limited
from index.formats.files import discover as _discover
from index.formats.jsonl import JsonlFields
from index.settings import MAX_FILE_MB
from index.text import Article

FORMATS = {".txt": "text", ".md": "markdown", ".markdown": "markdown", ".html": "html", ".htm": "html",
           ".jsonl": "jsonl", ".pdf": "pdf"}
SUFFIXES = sorted(FORMATS)
DEFAULT_MAX_BYTES = MAX_FILE_MB * 1_000_000
_TEXT_PARSERS = {"text": text.parse, "markdown": markdown.parse}
_BINARY_PARSERS = {"html": html.parse, "pdf": pdf.parse}  # they read the bytes themselves

def discover(paths: Iterable[str | Path]) -> tuple[list[Path], list[ArticleError]]:
    """The readable article files under ``paths`` (see :func:`index.formats.files.discover`)."""
    return _discover(paths, FORMATS)


def read_articles(path: Path, fields: JsonlFields | None = None,
                  max_bytes: int = DEFAULT_MAX_BYTES) -> Iterator[Article | ArticleError]:
    """The articles of one file, with an :class:`ArticleError` for each part that fails.

    ``max_bytes`` limits a one-article file, and each line of a JSON Lines file.
    """
    kind = FORMATS.get(path.suffix.lower())
    origin = str(path)
    if kind == "jsonl":
        yield from jsonl.read(path, fields or JsonlFields(), max_bytes, unexpected)
        return
    try:
        data = read_limited(path, max_bytes)
        if not data.strip():
            raise ArticleError(origin, "the file is empty")
        if kind in _BINARY_PARSERS:
            yield _BINARY_PARSERS[kind](data, origin)
            return
        raw, note = decode(data, origin)
        article = _TEXT_PARSERS[kind](raw, origin)
        yield article.with_notes(note) if note else article
    except ArticleError as exc:
        yield exc
    except Exception as exc:  # a parser's own failure on strange input: this file's failure only
        yield ArticleError(origin, unexpected(exc))


def unexpected(exc: BaseException) -> str:
    """A one-line reason for an exception no parser anticipated."""
    if isinstance(exc, RecursionError):
        return "nested too deeply to read (a structure thousands of levels deep)"
    if isinstance(exc, MemoryError):
        return "too large to read in memory"
    message = " ".join(str(exc).split())
    return f"cannot read it ({type(exc).__name__}{': ' + message[:200] if message else ''})"
