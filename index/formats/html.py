"""Saved news web pages (``.html``, ``.htm``): the article body and its metadata, by trafilatura.

trafilatura (the field's standard extractor) drops navigation, ads and footers and reads
title, author, publication date, canonical url and site name from the page's metadata.
"""

from __future__ import annotations

import re

from index.errors import ArticleError
from index.formats.dates import parse_date
from index.formats.fields import article
from index.text import Article

# What the extracted text needs to count as an article rather than a page's navigation:
# news briefs run to 40 words and more; a menu has no line of five words.
MIN_WORDS = 15
MIN_SENTENCE_WORDS = 5
TITLE_FROM_TEXT = 80  # characters of the first sentence used when the page has no title


def parse(data: bytes | str, origin: str) -> Article:
    import trafilatura  # imported here: it is slow to import and only HTML needs it

    try:
        document = trafilatura.bare_extraction(
            data, with_metadata=True, include_comments=False, include_tables=False,
            date_extraction_params={"original_date": True, "extensive_search": False},
        )
    except Exception as exc:  # lxml and friends raise many kinds
        raise ArticleError(origin, f"cannot parse the HTML ({exc})") from exc
    if document is None or not (document.text or "").strip():
        raise ArticleError(origin, "no article text found in the page")
    title = (document.title or "").strip()
    lines = [line.strip() for line in document.text.splitlines() if line.strip()]
    if lines and title and lines[0] == title:
        lines = lines[1:]  # trafilatura repeats the headline as the first line
    text = "\n\n".join(lines)
    words = text.split()
    if len(words) < MIN_WORDS or not any(len(line.split()) >= MIN_SENTENCE_WORDS for line in lines):
        preview = " ".join(words[:12]) + (" ..." if len(words) > 12 else "")
        plural = "s" if len(words) != 1 else ""
        raise ArticleError(origin, f"no article text found in the page: only {len(words)} word{plural} of menus "
                                   f"or links ({preview!r}), not an article")
    return article(text=text, title=title or _first_words(text), origin=origin, url=document.url or None,
                   published=parse_date(document.date), byline=document.author or None, source=document.sitename)


def _first_words(text: str) -> str:
    first = re.split(r"(?<=[.!?])\s", text, maxsplit=1)[0]
    return first if len(first) <= TITLE_FROM_TEXT else first[:TITLE_FROM_TEXT].rsplit(" ", 1)[0] + "..."
