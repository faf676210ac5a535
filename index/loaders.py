"""Find article files under the paths a user gives and read them into :class:`Article` s.

Supported: ``.txt``, ``.md``/``.markdown`` (one article per file) and ``.jsonl``
(one article per line). A bad file or line becomes an :class:`ArticleError` in the
stream, never an exception that stops the batch.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from index.articles import Article, derive_id, source_from_url
from index.dates import parse_date
from index.errors import ArticleError
from index.textparse import parse_markdown, parse_plain

log = logging.getLogger(__name__)

SUFFIXES = {".txt": "text", ".md": "markdown", ".markdown": "markdown", ".jsonl": "jsonl"}


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


def read_articles(path: Path, fields: JsonlFields | None = None) -> Iterator[Article | ArticleError]:
    """The articles of one file, with an :class:`ArticleError` for each part that fails."""
    kind = SUFFIXES.get(path.suffix.lower())
    origin = str(path)
    try:
        raw = _read_text(path)
    except ArticleError as exc:
        yield exc
        return
    if kind == "jsonl":
        yield from _read_jsonl(raw, origin, fields or JsonlFields())
        return
    if not raw.strip():
        yield ArticleError(origin, "the file is empty")
        return
    try:
        yield parse_markdown(raw, origin) if kind == "markdown" else parse_plain(raw, origin)
    except ArticleError as exc:
        yield exc


def _read_jsonl(raw: str, origin: str, fields: JsonlFields) -> Iterator[Article | ArticleError]:
    lines = raw.splitlines()
    if not any(line.strip() for line in lines):
        yield ArticleError(origin, "the file is empty")
        return
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            yield ArticleError(origin, f"not valid JSON ({exc.msg} at column {exc.colno})", number)
            continue
        try:
            yield _article_from_record(record, f"{origin}:{number}", fields)
        except ArticleError as exc:
            yield ArticleError(origin, exc.reason, number)


def _article_from_record(record: object, origin: str, fields: JsonlFields) -> Article:
    if not isinstance(record, dict):
        raise ArticleError(origin, f"expected a JSON object, got {type(record).__name__}")
    text = record.get(fields.text)
    if not isinstance(text, str) or not text.strip():
        raise ArticleError(origin, f"no text in field {fields.text!r} (set --text-field to the key "
                                   "that holds the article body)")
    url = _str(record.get(fields.url))
    title = _str(record.get(fields.title)) or text.strip().split("\n", 1)[0][:120]
    return Article(
        id=_str(record.get(fields.id)) or derive_id(url=url, text=text),
        title=title,
        text=text.strip(),
        url=url,
        published=parse_date(_str(record.get(fields.date))),
        byline=_str(record.get(fields.byline)),
        source=_str(record.get(fields.source)) or source_from_url(url),
        origin=origin,
    )


def _read_text(path: Path) -> str:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ArticleError(str(path), f"cannot read the file ({exc.strerror})") from exc
    if b"\x00" in data[:8192]:
        raise ArticleError(str(path), "binary file, not text")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ArticleError(str(path), f"not UTF-8 text (byte {exc.start}): save it as UTF-8") from exc


def _str(value: object) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _hidden(path: Path, root: Path) -> bool:
    return any(part.startswith(".") for part in path.relative_to(root).parts)
