import json
import re

import numpy as np
import pytest
from click.testing import CliRunner

from index.directory.layout import IndexDir
from index.directory.reader import IndexReader
from index.errors import IndexCorruptError, IndexMismatchError, IndexNotFoundError
from index.ingestion import ingest
from qa.cli import main
from qa.retriever import Index
from tests.conftest import DEMO
from tests.earlier import as_written_before_tantivy
from tests.fakes import HashingEmbedder


def test_round_trip_keeps_text_spans_and_metadata(settings, embedder):
    report = ingest([DEMO], settings, embedder=embedder)
    assert report.ok and len(report.added) == 7 and report.chunks > 7
    reader = IndexReader(IndexDir(settings.index_dir), embedder.model_id)
    assert len(reader.vectors) == report.chunks == reader.manifest.chunks
    assert reader.manifest.articles == 7 and reader.generation == reader.manifest.generation == 1
    rows = reader.store.chunks(reader.store.chunk_ids())
    sentences = reader.store.sentences(list(rows.values()))
    for row in rows.values():
        spans, vectors = sentences[row.id]
        assert spans[0][0] == row.start and spans[-1][1] == row.end
        assert vectors.shape == (len(spans), embedder.dimension)
    bank = next(r for r in rows.values() if "Central bank" in r.title)
    assert (bank.published, bank.byline) == ("2024-11-14", "Mara Lindqvist")
    assert bank.url == "https://demo.article-qa.example/2024/11/14/rates-on-hold"


def test_files_on_disk_are_json_sqlite_and_faiss_only(settings, embedder):
    ingest([DEMO], settings, embedder=embedder)
    names = sorted(p.name for p in settings.index_dir.iterdir() if not p.name.startswith("."))
    assert names[:2] == ["articles.sqlite", "embedding-cache.sqlite"] and names[3:] == ["manifest.json",
                                                                                      "vectors-000001.faiss"]
    keywords = settings.index_dir / names[2]  # tantivy's own files: JSON and its binary segments
    assert re.fullmatch("keywords-[0-9a-f]{8}", names[2]) and (keywords / "meta.json").is_file()
    assert {p.suffix for p in keywords.iterdir() if not p.name.startswith(".")} <= {
        ".json", ".idx", ".term", ".store", ".fast", ".fieldnorm", ".del", ".pos"}
    manifest = json.loads((settings.index_dir / "manifest.json").read_text())
    assert manifest["embedding"] == {"model": "test/hashing", "dimension": 512, "max_seq_length": 256,
                                     "normalized": True, "metric": "inner_product"}
    assert manifest["chunking"] == {"tokenizer": "tiktoken", "encoding": "cl100k_base",
                                    "chunk_tokens": 200, "chunk_overlap": 40, "sentence_vectors": "encoded"}
    assert manifest["format_version"] == 1 and manifest["counts"]["articles"] == 7


def test_reingesting_unchanged_articles_embeds_nothing(settings, embedder):
    ingest([DEMO], settings, embedder=embedder)
    embedder.calls.clear()
    report = ingest([DEMO], settings, embedder=embedder)
    assert embedder.calls == [] and len(report.unchanged) == 7 and not report.added


def test_a_changed_article_replaces_its_old_chunks(settings, embedder, tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    story = folder / "story.md"
    story.write_text("# Story\n\nOriginal url: https://e.org/s\n\nThe mayor opened the old bridge.")
    ingest([folder], settings, embedder=embedder)
    story.write_text("# Story\n\nOriginal url: https://e.org/s\n\nThe mayor closed the new tunnel.")
    report = ingest([folder], settings, embedder=embedder)
    assert len(report.updated) == 1
    with Index.open(settings=settings, embedder=embedder) as index:
        passages = index.retrieve("bridge", k=5)
        assert [p.text for p in passages] == ["The mayor closed the new tunnel."]
        assert index.reader.term_frequencies(["bridge", "tunnel"])[0] == {"tunnel": 1}


def test_opening_with_another_model_names_both_and_the_fix(settings, embedder):
    ingest([DEMO], settings, embedder=embedder)
    other = HashingEmbedder(model_id="other/model")
    with pytest.raises(IndexMismatchError) as err:
        Index.open(settings=settings, embedder=other)
    message = str(err.value)
    assert "test/hashing" in message and "other/model" in message and "--rebuild" in message
    with pytest.raises(IndexMismatchError, match="other/model"):
        ingest([DEMO], settings, embedder=other)


def test_adding_with_other_chunk_settings_is_refused(settings, embedder):
    ingest([DEMO], settings, embedder=embedder)
    with pytest.raises(IndexMismatchError, match="chunk_tokens=200.*chunk_tokens=120"):
        ingest([DEMO], settings.replace(chunk_tokens=120), embedder=embedder)
    # --rebuild starts over with the new settings
    report = ingest([DEMO], settings.replace(chunk_tokens=120), embedder=embedder, rebuild=True)
    assert len(report.added) == 7


def test_unknown_format_version_is_refused(settings, embedder):
    ingest([DEMO], settings, embedder=embedder)
    path = settings.index_dir / "manifest.json"
    data = json.loads(path.read_text())
    data["format_version"] = 99
    path.write_text(json.dumps(data))
    with pytest.raises(IndexMismatchError, match="99"):
        Index.open(settings=settings, embedder=embedder)


def test_missing_index_and_missing_vectors(settings, embedder):
    with pytest.raises(IndexNotFoundError, match="qa ingest"):
        Index.open(settings=settings, embedder=embedder)
    ingest([DEMO], settings, embedder=embedder)
    (settings.index_dir / "vectors-000001.faiss").unlink()
    with pytest.raises(IndexCorruptError, match="vectors-000001.faiss"):
        Index.open(settings=settings, embedder=embedder)


def test_a_second_store_in_one_process_keeps_the_wal_when_another_process_closes(tmp_path):
    """A server holds a reader open and opens a writer (checking the file first); `qa info` in
    another process then opens and closes the database. The WAL and its index must survive:
    checking the file never closes a descriptor of it behind SQLite's back (which drops the
    process's POSIX locks, so the other process's close deletes the WAL under the server)."""
    import subprocess
    import sys

    from index.store import Store

    db = tmp_path / "articles.sqlite"
    reader = Store(db, create=True)
    reader.fetch("SELECT COUNT(*) FROM chunks")
    writer = Store(db)
    writer.close()
    code = (f"import sqlite3; c = sqlite3.connect({str(db)!r}); c.execute('SELECT COUNT(*) FROM chunks').fetchone(); "
            "c.close()")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
    assert (tmp_path / "articles.sqlite-wal").exists() and (tmp_path / "articles.sqlite-shm").exists()
    writer = Store(db)
    with writer.transaction():
        writer.run("INSERT INTO feeds (url, kind, added_at) VALUES ('https://e.org/feed', 'feed', '2024-01-01')")
    writer.close()
    assert reader.fetch("SELECT url FROM feeds") == [("https://e.org/feed",)]
    reader.close()


def _as_written_before_passages_were_spans(db_path) -> None:
    """The database as article-qa wrote it before schema 5: each passage's text copied into
    ``chunks``, FTS5 kept in step by triggers on it, 8-bit sentence vectors."""
    import sqlite3

    from index.store import codec

    with sqlite3.connect(db_path) as db:
        rows = db.execute("SELECT article_id, ord, vector FROM sentences").fetchall()
        vectors = codec.decode([r[2] for r in rows], 512)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        db.executemany("UPDATE sentences SET vector = ? WHERE article_id = ? AND ord = ?",
                       [(codec.encode(v, codec.INT8), r[0], r[1]) for v, r in zip(vectors, rows, strict=True)])
        db.executescript("""
            DROP TRIGGER chunk_spans_fts_insert; DROP TRIGGER articles_fts_delete; DROP VIEW chunks;
            ALTER TABLE chunk_spans RENAME TO chunks;
            ALTER TABLE chunks ADD COLUMN text TEXT NOT NULL DEFAULT '';
            UPDATE chunks SET text = (SELECT substr(a.text, chunks.start + 1, chunks.end - chunks.start)
                                      FROM articles a WHERE a.id = chunks.article_id);
            CREATE TRIGGER chunks_fts_insert AFTER INSERT ON chunks BEGIN
                INSERT INTO chunks_fts (rowid, text) VALUES (new.id, new.text);
            END;
            CREATE TRIGGER chunks_fts_delete AFTER DELETE ON chunks BEGIN
                INSERT INTO chunks_fts (chunks_fts, rowid, text) VALUES ('delete', old.id, old.text);
            END;
            PRAGMA user_version = 4;
        """)


def test_an_index_from_before_passage_spans_opens_answers_and_takes_changes(settings, embedder, tmp_path):
    from index.ingestion import remove
    from index.maintenance.checks import check

    archive = tmp_path / "archive"
    archive.mkdir()
    for n in range(30):  # enough passages that their copied texts are a good part of the file
        archive.joinpath(f"council-{n}.md").write_text(f"# Council meeting {n}\n\n" + " ".join(
            f"Item {n}.{i}: the council discussed bus route {i * 7 + n} and the library budget of {i} million."
            for i in range(40)))
    ingest([DEMO, archive], settings, embedder=embedder)
    with Index.open(settings=settings, embedder=embedder) as index:
        before = [(p.chunk_id, p.text) for p in index.retrieve("who holds Tal Rifaat?", k=5)]
    as_written_before_tantivy(settings.index_dir)
    _as_written_before_passages_were_spans(settings.index_dir / "articles.sqlite")
    with Index.open(settings=settings, embedder=embedder) as index:  # migrates
        assert [(p.chunk_id, p.text) for p in index.retrieve("who holds Tal Rifaat?", k=5)] == before
    found = check(IndexDir(settings.index_dir))
    assert found.ok, found.problems
    def database_bytes() -> int:
        return sum(p.stat().st_size for p in settings.index_dir.glob("articles.sqlite*"))

    size = database_bytes()
    result = CliRunner().invoke(main, ["compact", "--index-dir", str(settings.index_dir)])
    assert result.exit_code == 0 and "MB of free database pages" in result.output, result.output
    assert database_bytes() < 0.8 * size  # the room the copied texts took is given back
    syria = next(p for p in DEMO.iterdir() if "tal-rifaat" in p.name or "syria" in p.name)
    assert remove([str(syria)], settings).removed
    note = tmp_path / "note.md"
    note.write_text("# Ferry strike\n\nThe harbour ferry crews walked out on Monday over rosters.\n")
    assert ingest([note], settings, embedder=embedder).added
    found = check(IndexDir(settings.index_dir))
    assert found.ok, found.problems  # the keyword index in step after a removal and an addition
    with Index.open(settings=settings, embedder=embedder) as index:
        assert all("Tal Rifaat" not in p.text for p in index.retrieve("who holds Tal Rifaat?", k=5))
        assert "ferry crews walked out" in index.retrieve("why did the ferry crews strike?", k=1)[0].text


def test_an_index_from_before_tantivy_is_converted_once_and_says_so(settings, embedder, caplog):
    from index.maintenance.checks import check

    ingest([DEMO], settings, embedder=embedder)
    with Index.open(settings=settings, embedder=embedder) as index:
        before = [(p.chunk_id, p.score) for p in index.retrieve("who holds Tal Rifaat?", k=5, method="keyword")]
        frequencies = index.reader.term_frequencies(["tal", "rifaat", "unheard"])
    as_written_before_tantivy(settings.index_dir)
    assert "keywords" in check(IndexDir(settings.index_dir)).parts()  # named, with the fix
    with caplog.at_level("WARNING"), Index.open(settings=settings, embedder=embedder) as index:
        assert [(p.chunk_id, p.score) for p in index.retrieve("who holds Tal Rifaat?", k=5, method="keyword")] \
            == before
        assert index.reader.term_frequencies(["tal", "rifaat", "unheard"]) == frequencies
    said = [r.getMessage() for r in caplog.records if "keyword index" in r.getMessage()]
    assert len(said) == 2 and "building the keyword index" in said[0] and "7 article(s)" in said[1], said
    caplog.clear()
    with caplog.at_level("WARNING"), Index.open(settings=settings, embedder=embedder):
        pass
    assert not [r for r in caplog.records if "keyword index" in r.getMessage()]  # once
    assert check(IndexDir(settings.index_dir)).ok
    assert not any(n.startswith("chunks_fts") for (n,) in IndexReader(IndexDir(settings.index_dir)).store.fetch(
        "SELECT name FROM sqlite_master"))
