"""Read every intact article out of a damaged database.

Rows are read one at a time by rowid, so one damaged leaf page costs the rows on it, not the
table. When some cannot be read that way (a damaged interior page hides every leaf below it),
the file's leaf pages are read directly (index/maintenance/pages.py). An article is kept only
when its title and text still match its content hash; the ids of the others (from whatever
table still names them) are reported as lost.
"""

from __future__ import annotations

import logging
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from index.errors import ArticleError
from index.maintenance.pages import leaf_records
from index.text import Article, content_hash

log = logging.getLogger(__name__)

_COLUMNS = "id, title, text, url, published, byline, source, origin, content_hash"
_STORED = ("id", "title", "text", "url", "published", "byline", "source", "origin", "content_hash", "added_at")
PROBE_PAST = 1000  # rowids tried past the last readable one when the table's end cannot be read


@dataclass
class Salvage:
    articles: list[Article] = field(default_factory=list)
    lost: list[str] = field(default_factory=list)  # article ids (or "row N") that could not be kept
    origins: dict[str, str] = field(default_factory=dict)  # lost id -> where it came from, when known

    @property
    def lost_count(self) -> int:
        """Articles lost, those of unknown id ("3 article(s) of unknown id") counted too."""
        return sum(int(x.split()[0]) if x.endswith("of unknown id") else 1 for x in self.lost)


def salvage(path: Path, expected: int = 0) -> Salvage:
    """The articles of the database at ``path`` that are intact; ``expected``: how many it
    should hold (from the manifest), to know how far to look when the table is damaged."""
    found = Salvage()
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        rowids = _rowids(db, expected)
        unreadable = rowids is None  # not even its first page: the header is gone, say
        for rowid in rowids or ():
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
        elsewhere = _ids_named_elsewhere(db)
    finally:
        db.close()  # before the file is read by Python (its close would drop SQLite's locks: index/store/sqlite.py)
    kept = {a.id for a in found.articles}
    if found.lost or unreadable:  # rows the b-tree could not reach: read the leaf pages themselves
        for article in _from_leaves(path, kept):
            found.articles.append(article)
            kept.add(article.id)
        found.lost = [x for x in found.lost if x not in kept and not x.startswith("row ")]
        for article_id in kept:
            found.origins.pop(article_id, None)
    named = elsewhere - kept - set(found.lost)
    if named:
        found.lost = [x for x in found.lost if not x.startswith("row ")] + sorted(named)
    unnamed = expected - len(kept) - len(found.lost)
    if unnamed > 0 and not any(x.startswith("row ") for x in found.lost):
        found.lost.append(f"{unnamed} article(s) of unknown id")
    return found


def _rowids(db: sqlite3.Connection, expected: int) -> list[int] | None:
    """The articles' rowids, or those to try one by one; None when SQLite cannot read the file at all."""
    try:
        return [r[0] for r in db.execute("SELECT rowid FROM articles ORDER BY rowid")]
    except sqlite3.DatabaseError:
        pass
    try:
        last = db.execute("SELECT max(rowid) FROM articles").fetchone()[0] or 0
    except sqlite3.DatabaseError as exc:
        if "not a database" in str(exc):
            return None
        last = 0
    return list(range(1, max(last, expected) + PROBE_PAST))


def readable_articles(path: Path) -> int:
    """How many intact articles the leaf pages of the database at ``path`` hold (for a check
    to say whether ``qa repair`` can rebuild from them)."""
    return len(_from_leaves(path, set()))


def _from_leaves(path: Path, kept: set[str]) -> list[Article]:
    """Intact articles found on the database's leaf pages that are not in ``kept``."""
    found: list[Article] = []
    for _, values in leaf_records(path):
        if len(values) != len(_STORED) or values[0] in kept:
            continue
        article = _article(tuple(values[:len(_COLUMNS.split(","))]))
        if article is not None:
            found.append(article)
            kept = kept | {article.id}
    if found:
        log.info("read %d article(s) off the leaf pages of %s", len(found), path)
    return found


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
