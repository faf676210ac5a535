"""Read every intact article out of a damaged database.

Rows are read one at a time by rowid, so one damaged page costs the rows on it, not the
table. An article is kept only when its title and text still match its content hash; the
ids of the others (from whatever table still names them) are reported as lost.
"""

from __future__ import annotations

import logging
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from index.errors import ArticleError
from index.text import Article, content_hash

log = logging.getLogger(__name__)

_COLUMNS = "id, title, text, url, published, byline, source, origin, content_hash"
PROBE_PAST = 1000  # rowids tried past the last readable one when the table's end cannot be read


@dataclass
class Salvage:
    articles: list[Article] = field(default_factory=list)
    lost: list[str] = field(default_factory=list)  # article ids (or "row N") that could not be kept
    origins: dict[str, str] = field(default_factory=dict)  # lost id -> where it came from, when known


def salvage(path: Path, expected: int = 0) -> Salvage:
    """The articles of the database at ``path`` that are intact; ``expected``: how many it
    should hold (from the manifest), to know how far to look when the table is damaged."""
    found = Salvage()
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        for rowid in _rowids(db, expected):
            try:
                row = db.execute(f"SELECT {_COLUMNS} FROM articles WHERE rowid = ?", (rowid,)).fetchone()
            except sqlite3.DatabaseError as exc:
                log.info("row %d of articles is unreadable: %s", rowid, exc)
                found.lost.append(f"row {rowid}")
                continue
            if row is None:
                continue
            article = _article(row)
            if article is None:
                found.lost.append(str(row[0]))
                if row[7]:
                    found.origins[str(row[0])] = row[7]
            else:
                found.articles.append(article)
        kept = {a.id for a in found.articles}
        named = _ids_named_elsewhere(db) - kept - set(found.lost)
        if named:
            found.lost = [x for x in found.lost if not x.startswith("row ")] + sorted(named)
    finally:
        db.close()
    return found


def _rowids(db: sqlite3.Connection, expected: int) -> list[int]:
    try:
        return [r[0] for r in db.execute("SELECT rowid FROM articles ORDER BY rowid")]
    except sqlite3.DatabaseError:
        pass
    try:
        last = db.execute("SELECT max(rowid) FROM articles").fetchone()[0] or 0
    except sqlite3.DatabaseError:
        last = 0
    return list(range(1, max(last, expected) + PROBE_PAST))


def _article(row: tuple) -> Article | None:
    article_id, title, text, url, published, byline, source, origin, digest = row
    if not isinstance(text, str) or not isinstance(title, str) or content_hash(title, text) != digest:
        return None
    try:
        return Article(id=article_id, title=title, text=text, url=url, published=published, byline=byline,
                       source=source, origin=origin, content_hash=digest)
    except ArticleError:
        return None


def _ids_named_elsewhere(db: sqlite3.Connection) -> set[str]:
    """Article ids the chunks or sentences tables still name (to list lost articles by id)."""
    ids: set[str] = set()
    for table in ("chunks", "sentences"):
        try:
            ids |= {r[0] for r in db.execute(f"SELECT DISTINCT article_id FROM {table}")}
        except sqlite3.DatabaseError:
            continue
    return ids
