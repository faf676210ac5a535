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
    printed = _printed(meta)
    page_url = None
    if printed:  # the browser's own header and footer on every page: the print time, the page's address
        pages, page_url = zip(*(_without_print_margins(page) for page in pages)) if pages else ((), ())
        page_url = next((u for u in page_url if u), None)
    paragraphs = [p for page in pages for p in _paragraphs(page)]
    text = "\n\n".join(paragraphs)
    if len(text.split()) < MIN_WORDS:
        raise ArticleError(origin, f"the PDF has no text layer ({len(pages)} page{'s' if len(pages) != 1 else ''}, "
                                   f"{len(text.split())} words of text): it is probably scanned; run OCR "
                                   "(e.g. ocrmypdf) and add the result")
    title = _meta(meta, "/Title") or paragraphs[0][:120]
    outlet = None
    if printed:  # "Ferry berths to be rebuilt | The Harbour Ledger", and the masthead above the headline
        title, outlet, paragraphs = _masthead(title, paragraphs)
    if len(paragraphs) > 1 and paragraphs[0].strip() == title.strip():
        paragraphs = paragraphs[1:]
    given = {k: v for k, v in (("url", url or page_url), ("source", outlet)) if v}
    found = build([line for p in paragraphs for line in (p, "")], origin, title, given)
    created, author = _date(_meta(meta, "/CreationDate")), _meta(meta, "/Author")
    if printed:  # the text's own lines first; the print date only when the text has none
        return dataclasses.replace(found, published=found.published or created, byline=found.byline or author)
    return dataclasses.replace(found, published=created or found.published, byline=author or found.byline)


# "12/6/26, 6:29 PM" (a browser's print header: the time of printing, then the page's title)
_PRINT_TIME = re.compile(r"^\s*\d{1,2}/\d{1,2}/\d{2,4},?\s+\d{1,2}:\d{2}(?:\s*[AP]M)?\b", re.I)
# "https://example.org/story 1/2" (its footer: the page's address and the page number)
_PRINT_FOOTER = re.compile(r"^\s*(?P<url>(?:https?|file|ﬁle)://\S+)\s+\d+/\d+\s*$")
_TITLE_SEPARATORS = (" | ", " – ", " — ", " - ", " :: ")
MASTHEAD_WORDS = 6  # an outlet's name is short


def _without_print_margins(page: str) -> tuple[str, str | None]:
    """A printed page without the browser's header and footer lines; the page's address
    from the footer (http(s) only)."""
    kept, url = [], None
    for line in page.split("\n"):
        footer = _PRINT_FOOTER.match(line)
        if footer:
            url = url or (footer["url"] if footer["url"].startswith("http") else None)
            continue
        if _PRINT_TIME.match(line):
            continue
        kept.append(line)
    return "\n".join(kept), url


def _masthead(title: str, paragraphs: list[str]) -> tuple[str, str | None, list[str]]:
    """(title, outlet, paragraphs) of a printed page: the outlet is the site's name after
    the title's separator ("... | The Harbour Ledger") or a short line above the headline
    (the masthead), either found on the first lines of the page; it leaves the body."""
    first = [p.strip() for p in paragraphs[:4]]
    outlet = None
    for separator in _TITLE_SEPARATORS:
        head, _, tail = (part.strip() for part in title.rpartition(separator))
        if head and tail and len(tail.split()) <= MASTHEAD_WORDS and (tail in first or head in first):
            title, outlet = head, tail
            break
    if title.strip() in first:
        at = first.index(title.strip())
        above = [p for p in first[:at] if len(p.split()) <= MASTHEAD_WORDS and not re.search(r"[.!?]$", p)]
        if outlet is None and above:
            outlet = above[-1]
        paragraphs = [p for i, p in enumerate(paragraphs) if not (i < at and p.strip() in above)]
    return title, outlet, paragraphs


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
