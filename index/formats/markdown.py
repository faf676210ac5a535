"""Markdown (``.md``): YAML front matter, the first ``#`` heading as the title, then the
shared header; reduced to plain text (links keep their text, emphasis marks go)."""

from __future__ import annotations

import re

from index.formats.header import build
from index.text import Article

_FRONT_MATTER = re.compile(r"\A---\s*\n(?P<body>.*?)\n---\s*\n", re.S)


def parse(raw: str, origin: str) -> Article:
    meta, raw = _front_matter(raw)
    title = meta.get("title")
    lines: list[str] = []
    for line in raw.splitlines():
        heading = re.match(r"^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$", line)
        if heading:
            text = _inline(heading.group(2))
            if heading.group(1) == "#" and title is None:
                title = text
                continue
            lines.append(text)
            continue
        if re.match(r"^\s*([-*_])(\s*\1){2,}\s*$", line) or line.strip().startswith("```"):
            lines.append("")
            continue
        line = re.sub(r"^\s*>\s?", "", line)
        line = re.sub(r"^\s*(?:[-*+]|\d+[.)])\s+", "", line)
        lines.append(_inline(line))
    return build(lines, origin, title, meta)


def _inline(line: str) -> str:
    line = re.sub(r"!\[[^\]]*\]\([^)]*\)", "", line)  # images
    line = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", line)  # links keep their text
    line = re.sub(r"<(https?://[^>\s]+)>", r"\1", line)  # autolinks
    line = re.sub(r"(\*\*|__)(.+?)\1", r"\2", line)  # bold
    line = re.sub(r"(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*(?![\w*])", r"\1", line)  # *italic*
    line = re.sub(r"(?<!\w)_(?!\s)(.+?)(?<!\s)_(?!\w)", r"\1", line)  # _italic_
    line = re.sub(r"`([^`]*)`", r"\1", line)
    return line


def _front_matter(raw: str) -> tuple[dict[str, str], str]:
    match = _FRONT_MATTER.match(raw.lstrip("\ufeff"))
    if not match:
        return {}, raw
    meta: dict[str, str] = {}
    for line in match.group("body").splitlines():
        key, sep, value = line.partition(":")
        if sep and value.strip():
            meta[key.strip().lower()] = value.strip().strip("'\"")
    return meta, raw[match.end() :]
