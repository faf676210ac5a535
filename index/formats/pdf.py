"""PDF files (``.pdf``): the text of each page, by pypdf; title and date from the metadata.

pypdf is pure Python and maintained. Pages are joined as paragraphs; a hyphen broken over
a line end is joined back. A PDF with no text layer (a scan) is refused with that reason
rather than stored as an empty article: it needs OCR first.
"""

from __future__ import annotations

import io
import re

from index.errors import ArticleError
from index.formats.dates import parse_date
from index.formats.fields import article
from index.text import Article

MIN_WORDS = 15  # fewer than this on every page together: no text layer worth the name


def parse(data: bytes, origin: str, url: str | None = None) -> Article:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise ArticleError(origin, "the PDF is encrypted: save an unprotected copy and add that")
        pages = [page.extract_text() or "" for page in reader.pages]
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
    if paragraphs and paragraphs[0].strip() == title.strip():
        text = "\n\n".join(paragraphs[1:]) or text
    return article(text=text, title=title, origin=origin, url=url, byline=_meta(meta, "/Author"),
                   published=_date(_meta(meta, "/CreationDate")))


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
    if len(blocks) == 1:  # no blank lines: one paragraph per line that ends a sentence
        blocks = re.split(r"(?<=[.!?\"”])\s*\n", page)
    return [" ".join(b.split()) for b in blocks if b.strip()]
