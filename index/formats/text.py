"""Plain text (``.txt``): the first short line is the title, then the shared header."""

from __future__ import annotations

from index.formats.dates import parse_date_line
from index.formats.header import build
from index.text import Article

TITLE_CHARS = 200  # a longer first line is body, not a title


def parse(raw: str, origin: str) -> Article:
    lines = raw.splitlines()
    title = None
    for i, line in enumerate(lines):
        if line.strip():
            rest = lines[:i] + lines[i + 1 :]
            if len(line.strip()) <= TITLE_CHARS and parse_date_line(line) is None and any(r.strip() for r in rest):
                title = line.strip()
                lines = rest
            break
    return build(lines, origin, title, {})
