"""Find article files under the paths a user gives and read them into :class:`Article` s.

Supported: ``.txt``, ``.md``/``.markdown``, ``.html``/``.htm`` (one article per file) and
``.jsonl`` (one article per line, streamed). A bad file or line becomes an
:class:`ArticleError` in the stream, never an exception that stops the batch.
"""

from __future__ import annotations

import json
import logging
import os
import stat
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from index.articles import Article, derive_id
from index.dates import parse_date, parse_date_line
from index.decoding import decode, read_limited
from index.errors import ArticleError
from index.htmlparse import parse_html
from index.outlets import outlet
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
    """Supported files under ``paths`` (folders are walked recursively, symbolic links
    followed once), sorted, no repeats; an :class:`ArticleError` for each path that is not usable."""
    found: dict[Path, None] = {}
    errors: list[ArticleError] = []
    for raw in paths:
        path = Path(raw).expanduser()
        if path.is_dir():
            _walk(path, found, errors)
        elif path.is_file():
            if path.suffix.lower() in SUFFIXES:
                found[path.resolve()] = None
            else:
                errors.append(
                    ArticleError(str(path), f"unsupported file type {path.suffix or '(none)'!r}: "
                                 f"use one of {', '.join(sorted(SUFFIXES))}")
                )
        else:
            errors.append(ArticleError(str(path), _not_usable(path)))
    return list(found), errors


def _walk(root: Path, found: dict[Path, None], errors: list[ArticleError]) -> None:
    """Add the supported files under ``root``; list the entries that cannot be read."""
    seen_dirs: set[Path] = set()
    for folder, dirs, files in os.walk(root, followlinks=True, onerror=lambda exc: errors.append(
            ArticleError(str(exc.filename), f"cannot read the folder ({exc.strerror or exc})"))):
        here = Path(folder)
        real = here.resolve()
        if real in seen_dirs:  # a symbolic link back up the tree
            errors.append(ArticleError(str(here), "symbolic link loop: the folder is already being read, skipped"))
            dirs[:] = []
            continue
        seen_dirs.add(real)
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            child = here / name
            if name.startswith(".") or child.suffix.lower() not in SUFFIXES:
                continue
            if child.is_file():
                found[child.resolve()] = None
            else:
                errors.append(ArticleError(str(child), _not_usable(child)))


def _not_usable(path: Path) -> str:
    """Why a path that is neither a folder nor a regular file cannot be read."""
    if path.is_symlink() and not path.exists():
        return f"broken symbolic link (it points to {os.readlink(path)}, which does not exist)"
    if not path.exists():
        return "no such file or folder"
    mode = path.stat().st_mode
    kind = ("a character device" if stat.S_ISCHR(mode) else "a block device" if stat.S_ISBLK(mode)
            else "a named pipe" if stat.S_ISFIFO(mode) else "a socket" if stat.S_ISSOCK(mode) else "special")
    return f"not a regular file ({kind}): give an article file or a folder of them"


def read_articles(path: Path, fields: JsonlFields | None = None,
                  max_bytes: int = DEFAULT_MAX_BYTES) -> Iterator[Article | ArticleError]:
    """The articles of one file, with an :class:`ArticleError` for each part that fails.

    ``max_bytes`` limits a one-article file, and each line of a JSON Lines file. Whatever
    goes wrong with one file (or line) is that item's error; it never stops the caller.
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
        raw, note = decode(data, origin)
        article = parse_markdown(raw, origin) if kind == "markdown" else parse_plain(raw, origin)
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
    text = " ".join(str(exc).split())
    return f"cannot read it ({type(exc).__name__}{': ' + text[:200] if text else ''})"


def _read_jsonl(path: Path, fields: JsonlFields, max_bytes: int) -> Iterator[Article | ArticleError]:
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
                record = json.loads(line.strip())
                yield _article_from_record(record, f"{origin}:{number}", fields)
            except json.JSONDecodeError as exc:
                yield ArticleError(origin, f"not valid JSON ({exc.msg} at column {exc.colno})", number)
            except ArticleError as exc:
                yield ArticleError(origin, exc.reason, number)
            except Exception as exc:  # RecursionError on deep nesting, and the like: this line only
                yield ArticleError(origin, unexpected(exc), number)
    if not seen_any:
        yield ArticleError(origin, "the file is empty")


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
        source=outlet(_str(record.get(fields.source)), _str(record.get(fields.byline)), url),
        origin=origin,
    )


def _str(value: object) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None

