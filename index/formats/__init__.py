"""Article files in: one module per format, each ``parse(...) -> Article``; the dates and
outlet names they read.

``FORMATS`` is the one table of what can be read: suffix -> format. :func:`read_articles`
reads one file of any of them; whatever goes wrong with one file (or JSON Lines line) is
that item's :class:`ArticleError`, never an exception that stops the caller.
"""

from index.formats import html, pdf
from index.formats.dates import parse_date
from index.formats.jsonl import JsonlFields
from index.formats.reading import DEFAULT_MAX_BYTES, FORMATS, SUFFIXES, discover, read_articles, unexpected

__all__ = [
    "DEFAULT_MAX_BYTES", "FORMATS", "JsonlFields", "SUFFIXES", "discover", "html", "parse_date", "pdf",
    "read_articles", "unexpected"
]
