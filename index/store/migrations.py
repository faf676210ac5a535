"""The database schema, as numbered migrations (``PRAGMA user_version`` says how many ran).

Never edit one that has shipped: add the next. The store runs the missing ones in order,
each in its own transaction.
"""

MIGRATIONS = [
    """
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE articles (
        id TEXT PRIMARY KEY, title TEXT NOT NULL, text TEXT NOT NULL, url TEXT,
        published TEXT, byline TEXT, source TEXT, origin TEXT,
        content_hash TEXT NOT NULL, added_at TEXT NOT NULL
    );
    CREATE INDEX articles_published ON articles (published);
    CREATE INDEX articles_hash ON articles (content_hash);
    CREATE TABLE chunks (
        id INTEGER PRIMARY KEY,
        article_id TEXT NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
        ord INTEGER NOT NULL, start INTEGER NOT NULL, end INTEGER NOT NULL,
        text TEXT NOT NULL, n_tokens INTEGER NOT NULL,
        first_sentence INTEGER NOT NULL, last_sentence INTEGER NOT NULL
    );
    CREATE INDEX chunks_article ON chunks (article_id, ord);
    CREATE TABLE sentences (
        article_id TEXT NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
        ord INTEGER NOT NULL, start INTEGER NOT NULL, end INTEGER NOT NULL,
        vector BLOB NOT NULL,
        PRIMARY KEY (article_id, ord)
    ) WITHOUT ROWID;
    CREATE VIRTUAL TABLE chunks_fts USING fts5 (
        text, content = 'chunks', content_rowid = 'id', tokenize = 'unicode61 remove_diacritics 2'
    );
    CREATE VIRTUAL TABLE chunks_vocab USING fts5vocab (chunks_fts, 'row');
    CREATE TRIGGER chunks_fts_insert AFTER INSERT ON chunks BEGIN
        INSERT INTO chunks_fts (rowid, text) VALUES (new.id, new.text);
    END;
    CREATE TRIGGER chunks_fts_delete AFTER DELETE ON chunks BEGIN
        INSERT INTO chunks_fts (chunks_fts, rowid, text) VALUES ('delete', old.id, old.text);
    END;
    """,
    # 2: the vocabulary in a character-trigram index and by consonant skeleton, to match
    # spelling variants of names
    """
    CREATE TABLE known_terms (id INTEGER PRIMARY KEY, term TEXT NOT NULL UNIQUE, skeleton TEXT NOT NULL);
    CREATE INDEX known_terms_skeleton ON known_terms (skeleton);
    CREATE VIRTUAL TABLE term_trigrams USING fts5 (
        term, content = 'known_terms', content_rowid = 'id', tokenize = 'trigram'
    );
    CREATE TRIGGER known_terms_insert AFTER INSERT ON known_terms BEGIN
        INSERT INTO term_trigrams (rowid, term) VALUES (new.id, new.term);
    END;
    CREATE INDEX articles_source ON articles (source);
    INSERT INTO known_terms (term, skeleton) SELECT term, qa_skeleton(term) FROM chunks_vocab
        WHERE length(term) >= 3;  -- terms.MIN_TERM_LENGTH when this migration was written
    """,
    # 3: vector segments: the chunk ids removed from the database whose vectors still sit in a
    # segment file until it is merged (see index/store/segments.py)
    """
    CREATE TABLE removed_vectors (chunk_id INTEGER PRIMARY KEY);
    """,
    # 4: articles from the web: feeds and sitemaps to refresh (with their validators for
    # conditional requests), and the url lookups that keep an ingested page from being fetched again
    """
    CREATE TABLE feeds (
        url TEXT PRIMARY KEY, kind TEXT NOT NULL, etag TEXT, last_modified TEXT,
        checked_at TEXT, added_at TEXT NOT NULL
    );
    CREATE INDEX articles_url ON articles (url);
    CREATE INDEX articles_origin ON articles (origin);
    """,
    # 5: a passage's text is its article's text between its start and end, no longer a
    # copy (a third of the database): the table is chunk_spans, and chunks is a view that
    # cuts the text out (FTS5 reads its content there, by the same name as before); the old
    # table's pages go to the free list (`qa compact` gives them back)
    """
    DROP TRIGGER chunks_fts_insert;
    DROP TRIGGER chunks_fts_delete;
    CREATE TABLE chunk_spans (
        id INTEGER PRIMARY KEY,
        article_id TEXT NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
        ord INTEGER NOT NULL, start INTEGER NOT NULL, end INTEGER NOT NULL,
        n_tokens INTEGER NOT NULL, first_sentence INTEGER NOT NULL, last_sentence INTEGER NOT NULL
    );
    INSERT INTO chunk_spans
        SELECT id, article_id, ord, start, end, n_tokens, first_sentence, last_sentence FROM chunks;
    DROP TABLE chunks;
    CREATE INDEX chunks_article ON chunk_spans (article_id, ord);
    CREATE VIEW chunks AS
        SELECT c.id, c.article_id, c.ord, c.start, c.end, substr(a.text, c.start + 1, c.end - c.start) AS text,
               c.n_tokens, c.first_sentence, c.last_sentence
        FROM chunk_spans c JOIN articles a ON a.id = c.article_id;
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
    """,
    # 6: the passages' keyword index moves to tantivy (index/store/keywords.py), a directory
    # beside the database that the meta table names ('keywords'); FTS5's tables go. Every
    # article waits in keyword_pending until tantivy holds its passages: the conversion of
    # an earlier index, and after a crash the replay of a write, are both that catch-up
    # (index/directory/keywords.py). The dropped tables' pages go to the free list.
    """
    DROP TRIGGER IF EXISTS chunk_spans_fts_insert;
    DROP TRIGGER IF EXISTS articles_fts_delete;
    DROP TABLE IF EXISTS chunks_vocab;
    DROP TABLE IF EXISTS chunks_fts;
    CREATE TABLE keyword_pending (article_id TEXT PRIMARY KEY) WITHOUT ROWID;
    INSERT INTO keyword_pending SELECT id FROM articles;
    """,
]
