"""An index turned back into what an earlier version of article-qa wrote, for the tests of
its conversion and for bench/scale.py's measure of the previous version."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path


def as_written_before_tantivy(index_dir: Path) -> None:
    """The index as article-qa wrote it before schema 6: passages indexed by FTS5 in the
    database (kept in step by triggers), no tantivy directory."""
    with sqlite3.connect(index_dir / "articles.sqlite") as db:
        name = db.execute("SELECT value FROM meta WHERE key = 'keywords'").fetchone()[0]
        db.executescript("""
            DROP TABLE keyword_pending;
            DELETE FROM meta WHERE key IN ('keywords', 'keywords_opstamp');
            CREATE VIRTUAL TABLE chunks_fts USING fts5 (
                text, content = 'chunks', content_rowid = 'id', tokenize = 'unicode61 remove_diacritics 2'
            );
            CREATE VIRTUAL TABLE chunks_vocab USING fts5vocab (chunks_fts, 'row');
            INSERT INTO chunks_fts (chunks_fts) VALUES ('rebuild');
            CREATE TRIGGER chunk_spans_fts_insert AFTER INSERT ON chunk_spans BEGIN
                INSERT INTO chunks_fts (rowid, text)
                    SELECT new.id, substr(a.text, new.start + 1, new.end - new.start) FROM articles a
                    WHERE a.id = new.article_id;
            END;
            CREATE TRIGGER articles_fts_delete BEFORE DELETE ON articles BEGIN
                INSERT INTO chunks_fts (chunks_fts, rowid, text)
                    SELECT 'delete', c.id, substr(old.text, c.start + 1, c.end - c.start) FROM chunk_spans c
                    WHERE c.article_id = old.id;
            END;
            PRAGMA user_version = 5;
        """)
    shutil.rmtree(index_dir / name)
