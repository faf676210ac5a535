"""The article record every loader produces, and how its id and hash are derived."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field, replace
from urllib.parse import urlsplit

from index.errors import ArticleError


@dataclass(frozen=True)
class Article:
    """One article: body text plus the metadata a citation needs.

    ``published`` is an ISO-8601 date (``YYYY-MM-DD``) or None when unknown.
    ``source`` is the outlet (site name, or the url's host when no name is known).
    ``origin`` is where it came from: a file path, with ``:line`` for JSON Lines.
    """

    id: str
    title: str
    text: str
    url: str | None = None
    published: str | None = None
    byline: str | None = None
    source: str | None = None
    origin: str | None = None
    content_hash: str = field(default="", compare=False)
    notes: tuple[str, ...] = field(default=(), compare=False)  # how it was read, when that needs saying

    def __post_init__(self) -> None:
        for name in ("id", "title", "text", "url", "published", "byline", "source"):
            value = getattr(self, name)
            if value is not None:
                object.__setattr__(self, name, clean_text(str(value)))
        if not self.text.strip():
            raise ArticleError(self.origin or self.id, "the article has no text")
        if not self.id.strip():
            raise ArticleError(self.origin or "?", "the article id is empty")
        if len(self.title) > MAX_TITLE:
            object.__setattr__(self, "title", self.title[: MAX_TITLE - 3].rstrip() + "...")
        if not self.content_hash:
            object.__setattr__(self, "content_hash", content_hash(self.title, self.text))

    def with_notes(self, *notes: str) -> Article:
        return replace(self, notes=self.notes + notes)

    def __repr__(self) -> str:
        return f"Article(id={self.id!r}, title={self.title!r}, published={self.published!r})"


MAX_TITLE = 300  # characters; a longer "title" is a body pasted into the wrong field
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")  # NUL and lone surrogates (not valid UTF-8)


def clean_text(value: str) -> str:
    """``value`` without what cannot be stored as UTF-8 text: NULs dropped, lone surrogates
    replaced by U+FFFD."""
    if not _UNSTORABLE.search(value):
        return value
    return _UNSTORABLE.sub(lambda m: "" if m.group() == "\x00" else "\ufffd", value)


def content_hash(title: str, text: str) -> str:
    """SHA-256 of the normalized title and text: equal for equal content."""
    normalized = _space(title) + "\n" + _space(text)
    return hashlib.sha256(normalized.encode("utf-8")).hexdigest()


def derive_id(url: str | None = None, origin: str | None = None, text: str | None = None) -> str:
    """A stable article id: from the url, else the origin path, else the content."""
    for prefix, key in (("u", _canonical_url(url)), ("p", origin), ("h", text)):
        if key:
            return f"{prefix}-{hashlib.sha1(key.encode('utf-8')).hexdigest()[:12]}"
    raise ValueError("derive_id needs a url, an origin or a text")


def _canonical_url(url: str | None) -> str | None:
    if not url:
        return None
    parts = urlsplit(url.strip())
    if not parts.netloc:
        return url.strip()
    host = (parts.hostname or "").removeprefix("www.")
    return f"{host}{parts.path.rstrip('/')}" + (f"?{parts.query}" if parts.query else "")


def _space(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()
