"""Turn a plain-text or markdown article into an :class:`Article`.

Both formats share one header reader: the title (markdown: the first ``#`` heading;
text: the first short line), a byline ("By ..."), a date line ("December 02, 2024") and
a source link ("Original url: <https://...>"). Markdown is reduced to plain text first
(links keep their text, emphasis marks go), and paragraphs broken mid-sentence by the
export are joined again.
"""

from __future__ import annotations

import re
from pathlib import Path

from index.articles import Article, derive_id
from index.dates import parse_date, parse_date_line
from index.outlets import outlet

_HEADER_LINES = 8  # the byline and date line are looked for in this many first lines
_URL_LABEL = re.compile(r"^\s*(?:original\s+url|source\s+url|url|link|source)\s*:\s*(?P<rest>.*)$", re.I)
_URL = re.compile(r"<?(?P<url>https?://[^\s>]+)>?")
_BYLINE = re.compile(r"^\s*(?:by|written by)\s+(?P<who>\S.{0,118})$", re.I)
_OUTLET = re.compile(r"^\s*(?:source|outlet|publisher)\s*:\s*(?P<name>[^\s:/][^:/]{0,78})$", re.I)
_FRONT_MATTER = re.compile(r"\A---\s*\n(?P<body>.*?)\n---\s*\n", re.S)
_ENDS_SENTENCE = re.compile(r"""[.!?:;"'”’)\]]\s*$""")


def parse_markdown(raw: str, origin: str) -> Article:
    meta, raw = _front_matter(raw)
    title = meta.get("title")
    lines: list[str] = []
    for line in raw.splitlines():
        heading = re.match(r"^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$", line)
        if heading:
            text = _inline_markdown(heading.group(2))
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
        lines.append(_inline_markdown(line))
    return _build(lines, origin, title, meta)


def parse_plain(raw: str, origin: str) -> Article:
    lines = raw.splitlines()
    title = None
    for i, line in enumerate(lines):
        if line.strip():
            rest = lines[:i] + lines[i + 1 :]
            if len(line.strip()) <= 200 and parse_date_line(line) is None and any(r.strip() for r in rest):
                title = line.strip()
                lines = rest
            break
    return _build(lines, origin, title, {})


def _build(lines: list[str], origin: str, title: str | None, meta: dict[str, str]) -> Article:
    url = meta.get("url") or meta.get("canonical_url")
    byline = meta.get("author") or meta.get("byline")
    source = meta.get("source") or meta.get("site_name")
    published = parse_date(meta.get("date") or meta.get("published"))
    body: list[str] = []
    pending_url_label = False
    seen = 0
    for line in lines:
        stripped = line.strip()
        if pending_url_label and stripped:
            pending_url_label = False
            found = _URL.fullmatch(stripped)
            if found:
                url = url or found.group("url")
                continue
        label = _URL_LABEL.match(stripped)
        if label:
            found = _URL.search(label.group("rest"))
            if found:
                url = url or found.group("url")
            else:
                pending_url_label = not label.group("rest").strip()
            if found or pending_url_label:
                continue
        if stripped and seen < _HEADER_LINES:
            seen += 1
            if published is None and (iso := parse_date_line(stripped)):
                published = iso
                continue
            named = _OUTLET.match(stripped)
            if source is None and named:  # "Source: Riverside Gazette" (a name, not a link)
                source = named.group("name").strip()
                continue
            who = _BYLINE.match(stripped)
            if byline is None and who:
                byline = who.group("who").strip()
                continue
        body.append(line)
    text = "\n\n".join(_paragraphs(body))
    title = (title or Path(origin).stem.replace("_", " ").replace("-", " ")).strip()
    return Article(
        id=meta.get("id") or derive_id(url=url, origin=origin, text=text),
        title=title,
        text=text,
        url=url,
        published=published,
        byline=byline,
        source=outlet(source, byline, url),
        origin=origin,
    )


def _paragraphs(lines: list[str]) -> list[str]:
    """Blank-line separated paragraphs, soft line breaks joined, broken sentences repaired."""
    paragraphs: list[str] = []
    current: list[str] = []
    for line in [*lines, ""]:
        if line.strip():
            current.append(line.strip())
            continue
        if not current:
            continue
        paragraph = re.sub(r"\s+", " ", " ".join(current))
        current = []
        if paragraphs and paragraph[0].islower() and not _ENDS_SENTENCE.search(paragraphs[-1]):
            paragraphs[-1] += " " + paragraph
        else:
            paragraphs.append(paragraph)
    return paragraphs


def _inline_markdown(line: str) -> str:
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
