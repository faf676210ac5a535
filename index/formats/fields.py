"""What every format falls back on for the fields a file does not state, in one place.

* the publication date: a date line ("December 02, 2024") among the first lines of the
  text, never the file's modification time;
* the id: the one given, else one derived from the url, else from the file, else the text;
* the outlet: the one given, else the agency in the byline, else the url's site.
"""

from __future__ import annotations

from index.formats.dates import parse_date_line
from index.formats.outlets import outlet
from index.text import Article, derive_id

HEADER_LINES = 8  # a date line or byline is looked for in this many first lines


def date_in(lines: list[str]) -> str | None:
    """The ISO date of the first date line among the first HEADER_LINES non-empty lines."""
    head = [line for line in lines if line.strip()][:HEADER_LINES]
    return next((d for d in map(parse_date_line, head) if d), None)


def article(*, text: str, title: str, origin: str, url: str | None = None, published: str | None = None,
            byline: str | None = None, source: str | None = None, article_id: str | None = None,
            from_file: bool = True, date_lines: bool = True) -> Article:
    """An :class:`Article` with the fallbacks applied. ``from_file``: the origin names a file,
    so it may give the id (a JSON Lines record's does not); ``date_lines``: look for a date
    line in the text (a format that already took it out of its header says False)."""
    return Article(
        id=article_id or derive_id(url=url, origin=origin if from_file else None, text=text),
        title=title,
        text=text,
        url=url,
        published=published or (date_in(text.splitlines()) if date_lines else None),
        byline=byline,
        source=outlet(source, byline, url),
        origin=origin,
    )
