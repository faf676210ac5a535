"""Find article files under the paths a user gives and read them into :class:`Article` s.

Supported: ``.txt``, ``.md``/``.markdown``, ``.html``/``.htm`` (one article per file) and
``.jsonl`` (one article per line, streamed). A bad file or line becomes an
:class:`ArticleError` in the stream, never an exception that stops the batch.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from index.articles import Article, derive_id, source_from_url
from index.dates import parse_date, parse_date_line
from index.decoding import decode, read_limited
from index.errors import ArticleError
from index.htmlparse import parse_html
from index.textparse import parse_markdown, parse_plain

log = logging.getLogger(__name__)

SUFFIXES = {".txt": "text", ".md": "markdown", ".markdown": "markdown", ".html": "html", ".htm": "html",
            ".jsonl": "jsonl"}
DEFAULT_MAX_BYTES = 20_000_000


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


def discover(paths: Iterable[str | Path]) -> tuple[list[Path], list[ArticleError]]:
    """Supported files under ``paths`` (folders are walked recursively), sorted, no repeats."""
    found: dict[Path, None] = {}
    errors: list[ArticleError] = []
    for raw in paths:
        path = Path(raw).expanduser()
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                if child.is_file() and child.suffix.lower() in SUFFIXES and not _hidden(child, path):
                    found[child.resolve()] = None
        elif path.is_file():
            if path.suffix.lower() in SUFFIXES:
                found[path.resolve()] = None
            else:
                errors.append(
                    ArticleError(str(path), f"unsupported file type {path.suffix or '(none)'!r}: "
                                 f"use one of {', '.join(sorted(SUFFIXES))}")
                )
        else:
            errors.append(ArticleError(str(path), "no such file or folder"))
    return list(found), errors


def read_articles(path: Path, fields: JsonlFields | None = None,
                  max_bytes: int = DEFAULT_MAX_BYTES) -> Iterator[Article | ArticleError]:
    """The articles of one file, with an :class:`ArticleError` for each part that fails.

    ``max_bytes`` limits a one-article file, and each line of a JSON Lines file.
    """
    kind = SUFFIXES.get(path.suffix.lower())
    origin = str(path)
    if kind == "jsonl":
        yield from _read_jsonl(path, fields or JsonlFields(), max_bytes)
        return
    try:
        data = read_limited(path, max_bytes)
        if not data.strip():
            raise ArticleError(origin, "the file is empty")
        if kind == "html":
            yield parse_html(data, origin)
            return
        raw = decode(data, origin)
        yield parse_markdown(raw, origin) if kind == "markdown" else parse_plain(raw, origin)
    except ArticleError as exc:
        yield exc


def _read_jsonl(path: Path, fields: JsonlFields, max_bytes: int) -> Iterator[Article | ArticleError]:
    origin = str(path)
    seen_any = False
    try:
        handle = open(path, "rb")
    except OSError as exc:
        yield ArticleError(origin, f"cannot read the file ({exc.strerror or exc})")
        return
    with handle:
        for number, raw in enumerate(handle, start=1):
            if len(raw) > max_bytes:
                yield ArticleError(origin, f"the line is {len(raw) / 1e6:.1f} MB, over the "
                                           f"{max_bytes / 1e6:.0f} MB limit for one article", number)
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
                record = json.loads(line.strip())
            except json.JSONDecodeError as exc:
                yield ArticleError(origin, f"not valid JSON ({exc.msg} at column {exc.colno})", number)
                continue
            try:
                yield _article_from_record(record, f"{origin}:{number}", fields)
            except ArticleError as exc:
                yield ArticleError(origin, exc.reason, number)
    if not seen_any:
        yield ArticleError(origin, "the file is empty")


def _article_from_record(record: object, origin: str, fields: JsonlFields) -> Article:
    if not isinstance(record, dict):
        raise ArticleError(origin, f"expected a JSON object, got {type(record).__name__}")
    text = record.get(fields.text)
    if not isinstance(text, str) or not text.strip():
        raise ArticleError(origin, f"no text in field {fields.text!r} (set --text-field to the key "
                                   "that holds the article body)")
    url = _str(record.get(fields.url))
    title = _str(record.get(fields.title)) or text.strip().split("\n", 1)[0][:120]
    published = parse_date(_str(record.get(fields.date)))
    if published is None:  # else a date line near the top of the text, else unknown
        head = [line for line in text.splitlines() if line.strip()][:8]
        published = next((d for d in map(parse_date_line, head) if d), None)
    return Article(
        id=_str(record.get(fields.id)) or derive_id(url=url, text=text),
        title=title,
        text=text.strip(),
        url=url,
        published=published,
        byline=_str(record.get(fields.byline)),
        source=_str(record.get(fields.source)) or source_from_url(url),
        origin=origin,
    )


def _str(value: object) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _hidden(path: Path, root: Path) -> bool:
    return any(part.startswith(".") for part in path.relative_to(root).parts)
