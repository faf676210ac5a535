"""The header both text formats share: a byline ("By ..."), a date line ("December 02,
2024"), an outlet ("Source: Riverside Gazette") and a link ("Original url: <https://...>")
among the first lines, taken out of the body; then the body's paragraphs, with lines a
soft wrap or an export broke mid-sentence joined again."""

from __future__ import annotations

import re
from pathlib import Path

from index.formats.dates import parse_date, parse_date_line
from index.formats.fields import HEADER_LINES, article
from index.text import Article

_URL_LABEL = re.compile(r"^\s*(?:original\s+url|source\s+url|url|link|source)\s*:\s*(?P<rest>.*)$", re.I)
_URL = re.compile(r"<?(?P<url>https?://[^\s>]+)>?")
_BYLINE = re.compile(r"^\s*(?:by|written by)\s+(?P<who>\S.{0,118})$", re.I)
_OUTLET = re.compile(r"^\s*(?:source|outlet|publisher)\s*:\s*(?P<name>[^\s:/][^:/]{0,78})$", re.I)
_ENDS_SENTENCE = re.compile(r"""[.!?:;"'”’)\]]\s*$""")


def build(lines: list[str], origin: str, title: str | None, meta: dict[str, str]) -> Article:
    """The article of a text's lines (``title`` and ``meta`` as the format found them)."""
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
        if stripped and seen < HEADER_LINES:
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
                byline, dated = _byline_and_date(who.group("who").strip())
                published = published or dated
                continue
        body.append(line)
    text = "\n\n".join(paragraphs(body))
    title = (title or Path(origin).stem.replace("_", " ").replace("-", " ")).strip()
    return article(text=text, title=title, origin=origin, url=url, published=published, byline=byline,
                   source=source, article_id=meta.get("id"), date_lines=False)


_DATE_AFTER = re.compile(r"^(?P<who>.+?)\s*(?:·|\||—|–|,|\s-\s)\s*(?P<when>[^·|—–]+)$")


def _byline_and_date(who: str) -> tuple[str, str | None]:
    """"Nadia Ferreira · 21 November 2024" -> ("Nadia Ferreira", "2024-11-21"): a byline that
    carries the date after a separator; else (the byline, None)."""
    match = _DATE_AFTER.match(who)
    if match and (iso := parse_date_line(match.group("when").strip())):
        return match.group("who").strip(), iso
    return who, None


def paragraphs(lines: list[str]) -> list[str]:
    """Blank-line separated paragraphs, soft line breaks joined, broken sentences repaired."""
    found: list[str] = []
    current: list[str] = []
    for line in [*lines, ""]:
        if line.strip():
            current.append(line.strip())
            continue
        if not current:
            continue
        paragraph = re.sub(r"\s+", " ", " ".join(current))
        current = []
        if found and paragraph[0].islower() and not _ENDS_SENTENCE.search(found[-1]):
            found[-1] += " " + paragraph
        else:
            found.append(paragraph)
    return found
