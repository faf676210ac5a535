"""PDF files (``.pdf``): the text of each page, by pypdf; title and date from the metadata,
and the header lines of the text (date, byline, outlet, link: index/formats/header.py).

A page printed to PDF from a browser carries the print date as its creation date and no
author: there the text's own date, byline and outlet lines come first. Elsewhere the
metadata's do. A short line that ends no sentence (a title, a byline, a date) is a
paragraph of its own, never glued to the sentence after it.

pypdf is pure Python and maintained. Pages are joined as paragraphs; a hyphen broken over
a line end is joined back. A PDF with no text layer (a scan) is refused with that reason
rather than stored as an empty article: it needs OCR first.
"""

from __future__ import annotations

import dataclasses
import io
import re

from index.errors import ArticleError
from index.formats.dates import parse_date
from index.formats.header import build
from index.text import Article

MIN_WORDS = 15  # fewer than this on every page together: no text layer worth the name
MAX_PAGES = 500  # an article; a PDF of more pages (a book, or a page tree pointing at one page 90,000 times) is refused
MAX_CHARS = 2_000_000  # text read from one PDF; the rest of a longer one is refused, not read
SHORT_LINE = 0.6  # of a full line of the page: a shorter line that ends no sentence ends its paragraph


def parse(data: bytes, origin: str, url: str | None = None) -> Article:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise ArticleError(origin, "the PDF is encrypted: save an unprotected copy and add that")
        count = len(reader.pages)
        if count > MAX_PAGES:
            raise ArticleError(origin, f"the PDF has {count:,} pages, more than an article's {MAX_PAGES}: split it, "
                                       "or add its articles one by one")
        pages, chars = [], 0
        for page in reader.pages:
            pages.append(page.extract_text() or "")
            chars += len(pages[-1])
            if chars > MAX_CHARS:
                raise ArticleError(origin, f"the PDF holds more than {MAX_CHARS:,} characters of text, more than an "
                                           "article: split it, or add its articles one by one")
        meta = reader.metadata or {}
    except ArticleError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError) as exc:
        raise ArticleError(origin, f"cannot read the PDF ({' '.join(str(exc).split())[:120]})") from None
    paragraphs = [p for page in pages for p in _paragraphs(page)]
    text = "\n\n".join(paragraphs)
    if len(text.split()) < MIN_WORDS:
        raise ArticleError(origin, f"the PDF has no text layer ({len(pages)} page{'s' if len(pages) != 1 else ''}, "
                                   f"{len(text.split())} words of text): it is probably scanned; run OCR "
                                   "(e.g. ocrmypdf) and add the result")
    title = _meta(meta, "/Title") or paragraphs[0][:120]
    if len(paragraphs) > 1 and paragraphs[0].strip() == title.strip():
        paragraphs = paragraphs[1:]
    found = build([line for p in paragraphs for line in (p, "")], origin, title, {"url": url} if url else {})
    created, author = _date(_meta(meta, "/CreationDate")), _meta(meta, "/Author")
    if _printed(meta):  # the text's own lines first; the print date only when the text has none
        return dataclasses.replace(found, published=found.published or created, byline=found.byline or author)
    return dataclasses.replace(found, published=created or found.published, byline=author or found.byline)


PRINTERS = ("skia/pdf", "chrom", "mozilla", "firefox", "cairo", "quartz pdfcontext", "safari", "print to pdf",
            "webkit", "headless")  # producers and creators of pages printed from a browser


def _printed(meta) -> bool:
    made = " ".join(filter(None, (_meta(meta, "/Producer"), _meta(meta, "/Creator")))).lower()
    return any(name in made for name in PRINTERS)


def _meta(meta, key: str) -> str | None:
    try:
        value = meta.get(key)
    except Exception:  # a damaged info dictionary: no metadata, not no article
        return None
    value = " ".join(str(value).split()) if value else ""
    return value or None


def _date(raw: str | None) -> str | None:
    """ISO date of a PDF date string (D:20241202093000+01'00')."""
    match = re.match(r"D:(\d{4})(\d{2})(\d{2})", raw or "")
    return parse_date(f"{match[1]}-{match[2]}-{match[3]}") if match else None


def _paragraphs(page: str) -> list[str]:
    page = re.sub(r"(\w)-\n(\w)", r"\1\2", page)
    blocks = re.split(r"\n\s*\n", page)
    if len(blocks) == 1:  # no blank lines: a paragraph ends with a line that ends a sentence,
        lines = [line for line in page.split("\n") if line.strip()]  # or with a short line (a title, a byline)
        widths = sorted(len(line.strip()) for line in lines)
        width = widths[int(0.9 * (len(widths) - 1))] if widths else 0  # a full line of the page
        blocks, current = [], []
        for line in lines:
            current.append(line)
            if re.search(r"[.!?\"”]\s*$", line) or len(line.strip()) < SHORT_LINE * width:
                blocks.append("\n".join(current))
                current = []
        blocks += ["\n".join(current)] if current else []
    return [" ".join(b.split()) for b in blocks if b.strip()]
