"""JSON Lines (``.jsonl``): one article per line, streamed; field names configurable.

A line is read with a bounded ``readline``, so a file of any size (or one enormous line)
never has to fit in memory; each bad line is that line's error.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from index.errors import ArticleError
from index.formats.dates import parse_date
from index.formats.fields import article
from index.text import Article

TITLE_FROM_TEXT = 120  # characters of the first line used when a record has no title


@dataclass(frozen=True)
class JsonlFields:
    """Which JSON keys hold each article field in a ``.jsonl`` file."""

    id: str = "id"
    title: str = "title"
    text: str = "text"
    url: str = "url"
    date: str = "date"
    source: str = "source"
    byline: str = "author"


def read(path: Path, fields: JsonlFields, max_bytes: int, unexpected) -> Iterator[Article | ArticleError]:
    """The articles of a JSON Lines file, an :class:`ArticleError` for each bad line.
    ``unexpected`` turns an exception no check anticipated into a reason."""
    origin = str(path)
    seen_any = False
    try:
        handle = open(path, "rb")
    except OSError as exc:
        yield ArticleError(origin, f"cannot read the file ({exc.strerror or exc})")
        return
    with handle:
        for number, raw in enumerate(_bounded_lines(handle, max_bytes), start=1):
            if raw is None:
                yield ArticleError(origin, f"the line is over the {max_bytes / 1e6:.0f} MB limit for one article "
                                           "(raise it with QA_MAX_FILE_MB / --max-file-mb)", number)
                continue
            if not raw.strip():
                continue
            seen_any = True
            try:
                line = raw.decode("utf-8-sig" if number == 1 else "utf-8")
            except UnicodeDecodeError as exc:
                yield ArticleError(origin, f"not UTF-8 (byte {exc.start}); JSON Lines must be UTF-8", number)
                continue
            try:
                yield parse(json.loads(line.strip()), f"{origin}:{number}", fields)
            except json.JSONDecodeError as exc:
                yield ArticleError(origin, f"not valid JSON ({exc.msg} at column {exc.colno})", number)
            except ArticleError as exc:
                yield ArticleError(origin, exc.reason, number)
            except Exception as exc:  # RecursionError on deep nesting, and the like: this line only
                yield ArticleError(origin, unexpected(exc), number)
    if not seen_any:
        yield ArticleError(origin, "the file is empty")


def parse(record: object, origin: str, fields: JsonlFields) -> Article:
    """The article of one decoded JSON record."""
    if not isinstance(record, dict):
        raise ArticleError(origin, f"expected a JSON object, got {type(record).__name__}")
    text = record.get(fields.text)
    if not isinstance(text, str) or not text.strip():
        raise ArticleError(origin, f"no text in field {fields.text!r} (set --text-field to the key "
                                   "that holds the article body)")
    return article(
        text=text.strip(),
        title=_str(record.get(fields.title)) or text.strip().split("\n", 1)[0][:TITLE_FROM_TEXT],
        origin=origin,
        url=_str(record.get(fields.url)),
        published=parse_date(_str(record.get(fields.date))),
        byline=_str(record.get(fields.byline)),
        source=_str(record.get(fields.source)),
        article_id=_str(record.get(fields.id)),
        from_file=False,
    )


def _bounded_lines(handle, max_bytes: int) -> Iterator[bytes | None]:
    """The lines of a binary file, never holding more than ``max_bytes`` of one line in
    memory: a longer line is skipped and given as None."""
    while True:
        line = handle.readline(max_bytes + 1)
        if not line:
            return
        if len(line) > max_bytes and not line.endswith(b"\n"):
            while (rest := handle.readline(1 << 20)) and not rest.endswith(b"\n"):
                pass
            yield None
        else:
            yield line


def _str(value: object) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None
