"""Ingestion that loses nothing: formats, incremental updates, cache, remove, crash safety."""

import json
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time

import pytest

from index.directory.layout import IndexDir
from index.directory.reader import IndexReader
from index.formats import read_articles
from index.ingestion import ingest, remove
from qa.retriever import Index
from tests.conftest import ROOT
from tests.fakes import HashingEmbedder

TOPICS = ["harbour", "orchard", "railway", "glacier", "bakery", "library", "stadium", "vineyard",
          "lighthouse", "quarry", "market", "observatory"]


def write_articles(path, n, start=0, words=120):
    """``n`` distinct synthetic articles as JSON Lines."""
    with open(path, "w") as out:
        for i in range(start, start + n):
            topic = TOPICS[i % len(TOPICS)]
            sentences = [f"Report {i} about the {topic} number {i}, part {j}, says the council of town {i}."
                         for j in range(words // 15)]
            out.write(json.dumps({"id": f"a{i}", "title": f"The {topic} {i}", "text": " ".join(sentences),
                                  "url": f"https://e.org/{i}", "date": "2024/01/02"}) + "\n")
    return path


def texts_of(path):
    return {a.id: a.text for a in read_articles(path)}


PAGE = """<!doctype html><html><head><meta charset="utf-8">
<title>Bridge reopens after repairs | Valley Courier</title>
<meta property="og:site_name" content="Valley Courier">
<meta property="og:title" content="Old river bridge reopens after two years of repairs">
<meta name="author" content="Ines Duarte">
<meta property="article:published_time" content="2024-03-14T09:30:00+01:00">
<link rel="canonical" href="https://valley-courier.example/2024/03/14/bridge-reopens">
</head><body>
<nav><a href="/">Home</a> | <a href="/news">News</a> | <a href="/sport">Sport</a></nav>
<article><h1>Old river bridge reopens after two years of repairs</h1>
<p>The old river bridge reopened to traffic on Thursday after two years of repairs that cost the county
more than 12 million, officials said at a ceremony attended by several hundred residents.</p>
<p>Engineers replaced the rusted steel supports and widened the footpath on both sides, so cyclists and
walkers no longer have to share a narrow lane with cars and delivery vans.</p>
<p>Shop owners on both banks said trade had suffered while the bridge was closed, and welcomed the
return of customers who had been forced to take a long detour through the industrial estate.</p>
</article>
<footer>Copyright Valley Courier. All rights reserved. Subscribe to our newsletter.</footer>
</body></html>"""


def test_html_page_body_and_metadata(tmp_path):
    page = tmp_path / "bridge.html"
    page.write_text(PAGE)
    (a,) = read_articles(page)
    assert a.title == "Old river bridge reopens after two years of repairs"
    assert (a.byline, a.published, a.source) == ("Ines Duarte", "2024-03-14", "Valley Courier")
    assert a.url == "https://valley-courier.example/2024/03/14/bridge-reopens"
    assert a.text.startswith("The old river bridge reopened") and "rusted steel supports" in a.text
    assert "Subscribe" not in a.text and "Sport" not in a.text


def test_html_without_date_metadata_takes_a_date_line_else_none(tmp_path):
    body = "".join(f"<p>Paragraph {i} of a story about a new ferry service across the bay that starts soon "
                   f"and will carry up to three hundred passengers on each crossing.</p>" for i in range(4))
    dated = tmp_path / "dated.htm"
    dated.write_text(f"<html><body><article><h1>Ferry</h1><p>December 02, 2024</p>{body}</article></body></html>")
    undated = tmp_path / "undated.html"
    undated.write_text(f"<html><body><article><h1>Ferry</h1>{body}</article></body></html>")
    os.utime(undated, (1_700_000_000, 1_700_000_000))  # the file's mtime must never become its date
    assert next(read_articles(dated)).published == "2024-12-02"
    assert next(read_articles(undated)).published is None


def test_text_without_a_date_has_none_not_the_mtime(tmp_path):
    path = tmp_path / "a.txt"
    path.write_text("Title\n\nBody without any date in it.")
    assert next(read_articles(path)).published is None


def test_jsonl_without_date_field_takes_a_date_line_from_the_text(tmp_path):
    path = tmp_path / "a.jsonl"
    path.write_text(json.dumps({"id": "x", "title": "T", "text": "March 3, 2023\n\nThe story itself."}) + "\n")
    assert next(read_articles(path)).published == "2023-03-03"


def test_published_date_is_stored_and_sortable(settings, embedder, tmp_path):
    write_articles(tmp_path / "a.jsonl", 3)
    ingest([tmp_path / "a.jsonl"], settings, embedder=embedder)
    db = sqlite3.connect(settings.index_dir / "articles.sqlite")
    assert {r[0] for r in db.execute("SELECT published FROM articles")} == {"2024-01-02"}


def test_ten_new_articles_into_sixty_embed_only_those_ten(settings, tmp_path):
    embedder = HashingEmbedder()
    write_articles(tmp_path / "old.jsonl", 60)
    ingest([tmp_path / "old.jsonl"], settings, embedder=embedder)
    write_articles(tmp_path / "new.jsonl", 10, start=60)
    embedder.calls.clear()
    report = ingest([tmp_path / "old.jsonl", tmp_path / "new.jsonl"], settings, embedder=embedder)
    assert len(report.added) == 10 and len(report.unchanged) == 60
    new = [f"a{i}" for i in range(60, 70)]
    marks = ",".join("?" * len(new))
    db = sqlite3.connect(settings.index_dir / "articles.sqlite")
    expected = sum(db.execute(f"SELECT COUNT(*) FROM {table} WHERE article_id IN ({marks})", new).fetchone()[0]
                   for table in ("chunks", "sentences"))
    assert sum(embedder.calls) == report.embedded == expected > 0


def test_rebuild_with_the_same_model_embeds_nothing(settings, tmp_path):
    embedder = HashingEmbedder()
    write_articles(tmp_path / "a.jsonl", 20)
    first = ingest([tmp_path / "a.jsonl"], settings, embedder=embedder)
    embedder.calls.clear()
    again = ingest([tmp_path / "a.jsonl"], settings, embedder=embedder, rebuild=True)
    assert len(again.added) == 20 and embedder.calls == [] and again.embedded == 0
    assert again.reused == first.embedded


def test_a_changed_article_embeds_only_its_changed_sentences(settings, tmp_path):
    embedder = HashingEmbedder()
    path = write_articles(tmp_path / "a.jsonl", 1, words=300)
    ingest([path], settings, embedder=embedder)
    record = json.loads(path.read_text())
    record["text"] = record["text"].replace("part 3,", "part three,")
    path.write_text(json.dumps(record) + "\n")
    report = ingest([path], settings, embedder=embedder)
    assert report.updated == ["a0"]
    assert 1 <= report.embedded <= 3  # the changed sentence and the chunk(s) holding it
    assert report.reused > 10


def test_identical_text_under_two_names_is_stored_once(settings, embedder, tmp_path):
    (tmp_path / "one.md").write_text("# A\n\nThe same story, word for word. It is long enough.")
    (tmp_path / "two.md").write_text("# A\n\nThe same story, word for word. It is long enough.")
    report = ingest([tmp_path / "one.md", tmp_path / "two.md"], settings, embedder=embedder)
    assert len(report.added) == 1 and len(report.skipped) == 1
    assert "same text as" in report.skipped[0][1]


def test_remove_by_id_and_by_path(settings, embedder, tmp_path):
    write_articles(tmp_path / "a.jsonl", 5)
    (tmp_path / "extra").mkdir()
    (tmp_path / "extra" / "note.md").write_text("# Lighthouse keeper\n\nThe lighthouse keeper retired today.")
    ingest([tmp_path / "a.jsonl", tmp_path / "extra"], settings, embedder=embedder)
    with Index.open(settings=settings, embedder=embedder) as index:
        assert any(p.article_id == "a2" for p in index.retrieve("Report 2 about the railway number 2", k=3))
        report = remove(["a2", str(tmp_path / "extra"), "nope"], settings)
        assert sorted(report.removed)[0] == "a2" and len(report.removed) == 2 and report.not_found == ["nope"]
        # the open index follows: no passage of a removed article can come back
        passages = index.retrieve("Report 2 about the railway number 2", k=100)
        assert {p.article_id for p in passages} == {"a0", "a1", "a3", "a4"}
        assert sorted(a.id for a in index.articles()) == ["a0", "a1", "a3", "a4"]
    report = remove([str(tmp_path / "a.jsonl")], settings)
    assert sorted(report.removed) == ["a0", "a1", "a3", "a4"]
    reader = IndexReader(IndexDir(settings.index_dir))
    assert len(reader.vectors) == 0 and reader.store.counts()["sentences"] == 0


def test_a_running_reader_sees_new_articles(settings, embedder, tmp_path):
    write_articles(tmp_path / "a.jsonl", 2)
    ingest([tmp_path / "a.jsonl"], settings, embedder=embedder)
    with Index.open(settings=settings, embedder=embedder) as index:
        assert index.info().articles == 2
        (tmp_path / "b.md").write_text("# Glacier\n\nThe glacier retreated forty metres this summer.")
        ingest([tmp_path / "b.md"], settings, embedder=embedder)
        assert index.retrieve("glacier retreated forty metres", k=1)[0].title == "Glacier"


def test_a_second_writer_waits_for_the_first(settings, embedder, tmp_path, caplog):
    settings.index_dir.mkdir(parents=True)
    holder = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import time
        from index.directory.layout import IndexDir
        with IndexDir({str(settings.index_dir)!r}).write_lock():
            print("locked", flush=True)
            time.sleep(1.5)
        """)], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "locked"
    write_articles(tmp_path / "a.jsonl", 2)
    started = time.monotonic()
    report = ingest([tmp_path / "a.jsonl"], settings, embedder=embedder)
    assert time.monotonic() - started > 0.5 and len(report.added) == 2
    assert "another process is writing" in caplog.text
    holder.wait(timeout=10)


def test_sigkill_halfway_leaves_every_article_whole_and_a_rerun_completes(settings, tmp_path):
    data = write_articles(tmp_path / "big.jsonl", 40, words=200)
    script = textwrap.dedent(f"""
        import time
        from index.ingestion import ingest
        from qa.settings import Settings
        from tests.fakes import HashingEmbedder

        class Slow(HashingEmbedder):
            def embed(self, texts, batch_size=32):
                time.sleep(0.3)
                return super().embed(texts, batch_size)

        ingest([{str(data)!r}], Settings(index_dir={str(settings.index_dir)!r}), embedder=Slow(),
               batch_chars=4000)
        """)
    child = subprocess.Popen([sys.executable, "-c", script], cwd=ROOT)
    database = settings.index_dir / "articles.sqlite"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if _generation(database) >= 3:
            break
        time.sleep(0.05)
    child.send_signal(signal.SIGKILL)
    child.wait()
    assert child.returncode == -signal.SIGKILL

    embedder = HashingEmbedder()
    texts = texts_of(data)
    reader = IndexReader(IndexDir(settings.index_dir), embedder.model_id)
    stored = {a.id for a in reader.store.articles()}
    assert 0 < len(stored) < 40, "the kill came halfway through"
    assert set(reader.vectors.ids().tolist()) == set(reader.store.chunk_ids()), "FAISS and SQLite agree"
    expected = _expected_chunks(settings, embedder, texts)
    for article in reader.store.articles():
        assert article.chunks == expected[article.id], f"{article.id} is whole"
    reader.close()

    report = ingest([data], settings, embedder=embedder)
    assert report.ok and len(report.unchanged) == len(stored) and len(report.added) == 40 - len(stored)
    reader = IndexReader(IndexDir(settings.index_dir), embedder.model_id)
    assert {a.id: a.chunks for a in reader.store.articles()} == expected
    assert set(reader.vectors.ids().tolist()) == set(reader.store.chunk_ids())
    listed = {s.file for s in reader.store.state().segments}
    assert {p.name for p in settings.index_dir.glob("*.faiss")} == listed, "no stale segment file is left"


def _generation(database):
    try:
        with sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=0.1) as db:
            row = db.execute("SELECT value FROM meta WHERE key = 'generation'").fetchone()
            return int(row[0]) if row else 0
    except sqlite3.Error:
        return 0


def _expected_chunks(settings, embedder, texts):
    from index.text.chunker import Chunker
    from index.text.tokens import get_encoding

    chunker = Chunker(get_encoding(settings.encoding), settings.chunk_tokens, settings.chunk_overlap,
                      embedder.count_tokens, embedder.max_seq_length)
    return {article_id: len(chunker.chunk(text).chunks) for article_id, text in texts.items()}


@pytest.mark.parametrize("quiet", [True, False])
def test_progress_bar_only_when_asked(settings, embedder, tmp_path, capsys, quiet):
    write_articles(tmp_path / "a.jsonl", 3)
    ingest([tmp_path / "a.jsonl"], settings, embedder=embedder, progress=not quiet)
    err = capsys.readouterr().err
    assert ("ingest" in err and "articles/s" in err) != quiet


def test_the_progress_bar_counts_to_a_total_and_names_the_file(settings, embedder, capsys):
    """`qa ingest`'s bar: "n/total" from the start (a JSON Lines file counts its lines), the
    file being stored, and the time left; unchanged articles count too."""
    from tests.conftest import DEMO

    total = len([p for p in DEMO.iterdir() if p.suffix != ".jsonl"]) + sum(
        1 for p in DEMO.glob("*.jsonl") for line in p.read_text().splitlines() if line.strip())
    ingest([DEMO], settings, embedder=embedder, progress=True)
    bar = capsys.readouterr().err.replace("\r", "\n")
    assert f" 0/{total} " in bar and f" {total}/{total} " in bar, bar
    assert ".md" in bar or ".txt" in bar or ".jsonl" in bar  # the file being stored
    ingest([DEMO], settings, embedder=embedder, progress=True)  # all unchanged: still counted to the end
    assert f" {total}/{total} " in capsys.readouterr().err.replace("\r", "\n")
