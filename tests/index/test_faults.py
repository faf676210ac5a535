"""Fault injection: each way an index or its input can go wrong, done to a small index.

Every case checks the message (it names the file or value and the fix), the exit code,
and that no article was lost. The CLI cases drive ``qa`` through click's runner over the
demo articles with the real model; the rest use the hashing embedder.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import sqlite3
import time

import pytest
from click.testing import CliRunner

from index.directory.layout import IndexDir
from index.directory.reader import IndexReader
from index.errors import IndexCorruptError, ModelLoadError
from index.ingestion import ingest
from index.maintenance.checks import check
from index.maintenance.repairs import repair
from qa.cli import main
from qa.retriever import Index
from tests.conftest import DEMO
from tests.fakes import HashingEmbedder

QUESTIONS = ["who holds Tal Rifaat?", "when does the hosepipe ban start?", "who won the cup final?"]


def run(*args):
    result = CliRunner().invoke(main, [str(a) for a in args])
    return result.exit_code, result.output


def one_line(output: str) -> str:
    lines = [line for line in output.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in output, output
    return lines[0]


def answers(index_dir, embedder=None) -> list[list[tuple[str, str]]]:
    with Index.open(index_dir, embedder=embedder) as index:
        return [[(p.article_id, p.text) for p in index.retrieve(q, k=3)] for q in QUESTIONS]


def article_ids(index_dir) -> set[str]:
    reader = IndexReader(IndexDir(index_dir))
    try:
        return {a.id for a in reader.store.articles()}
    finally:
        reader.close()


@pytest.fixture(scope="module")
def demo_built(tmp_path_factory, real_embedder):
    """The demo articles indexed with the real model, copied by each test that damages it."""
    path = tmp_path_factory.mktemp("faults") / "index"
    code, output = run("ingest", "--quiet", "--index-dir", path, DEMO)
    assert code == 0, output
    return path, answers(path), article_ids(path)


@pytest.fixture
def demo(demo_built, tmp_path):
    path, expected, ids = demo_built
    copy = tmp_path / "index"
    shutil.copytree(path, copy)
    return copy, expected, ids


# -- 1. one bad line never loses the batch -------------------------------------------------

def test_a_deeply_nested_line_fails_alone(settings, embedder, tmp_path):
    data = tmp_path / "mixed.jsonl"
    good = [json.dumps({"id": f"g{i}", "title": f"Good {i}", "text": f"The harbour story number {i} is fine."})
            for i in range(3)]
    data.write_text("\n".join([good[0], '{"id": "deep", "text": ' + "[" * 100_000 + "]" * 100_000 + "}",
                               good[1], good[2]]) + "\n")
    report = ingest([data], settings, embedder=embedder)
    assert sorted(report.added) == ["g0", "g1", "g2"]
    (failure,) = report.failed
    assert failure.line == 2 and "nested too deeply" in failure.reason


def test_an_article_the_model_cannot_embed_fails_alone(settings, tmp_path):
    class Picky(HashingEmbedder):
        def embed(self, texts, batch_size=32):
            if any("poison" in t for t in texts):
                raise RuntimeError("the tokenizer crashed")
            return super().embed(texts, batch_size)

    data = tmp_path / "a.jsonl"
    data.write_text("\n".join(json.dumps({"id": i, "title": i, "text": f"Story {i} about {word} today."})
                              for i, word in [("a", "bread"), ("b", "poison"), ("c", "milk")]) + "\n")
    report = ingest([data], settings, embedder=Picky())
    assert sorted(report.added) == ["a", "c"]
    (failure,) = report.failed
    assert "cannot embed it" in failure.reason and "the tokenizer crashed" in failure.reason


# -- 2. an empty or foreign database is an error naming the file ----------------------------

@pytest.mark.model
def test_a_zero_byte_database_is_refused_and_never_overwritten(demo):
    path, _, _ = demo
    (path / "articles.sqlite").write_bytes(b"")
    for command in (["info"], ["ask", "who holds Tal Rifaat?"], ["ingest", "--quiet", DEMO / "briefs.jsonl"],
                    ["list"]):
        code, output = run(*command, "--index-dir", path)
        line = one_line(output)
        assert code == 1 and "articles.sqlite is empty (0 bytes)" in line and "qa ingest --rebuild" in line, line
    assert (path / "articles.sqlite").stat().st_size == 0, "nothing was written over it"
    code, output = run("check", "--index-dir", path)
    assert code == 1 and "articles.sqlite is empty" in output and "restore" in output


def test_a_file_that_is_not_a_database_is_refused(settings, embedder):
    ingest([DEMO], settings, embedder=embedder)
    (settings.index_dir / "articles.sqlite").write_text("hello, I am a text file " * 100)
    with pytest.raises(IndexCorruptError, match="articles.sqlite is not an SQLite database"):
        Index.open(settings=settings, embedder=embedder)
    with pytest.raises(IndexCorruptError, match="articles.sqlite is not an SQLite database"):
        ingest([DEMO], settings, embedder=embedder)


# -- 3. damage is detected -------------------------------------------------------------------

@pytest.mark.model
def test_flipped_bytes_in_the_vector_file_are_detected_and_repaired(demo):
    path, expected, ids = demo
    vectors = next(path.glob("vectors-*.faiss"))
    data = bytearray(vectors.read_bytes())
    data[len(data) // 2] ^= 0xFF
    vectors.write_bytes(bytes(data))
    code, output = run("info", "--index-dir", path)
    line = one_line(output)
    assert code == 1 and vectors.name in line and "SHA-256" in line and "qa repair" in line
    code, output = run("check", "--index-dir", path)
    assert code == 1 and "vectors    PROBLEM" in output
    code, output = run("repair", "--quiet", "--index-dir", path)
    assert code == 0 and "re-embedded 8 passages" in output, output
    assert answers(path) == expected and article_ids(path) == ids


@pytest.mark.model
def test_every_damaged_database_page_is_detected_and_repair_keeps_the_intact_articles(demo_built, tmp_path):
    source, expected, ids = demo_built
    pages = (source / "articles.sqlite").stat().st_size // 4096
    rng = random.Random(7)
    for page in rng.sample(range(2, pages), 4):
        path = tmp_path / f"page{page}"
        shutil.copytree(source, path)
        with open(path / "articles.sqlite", "r+b") as handle:
            handle.seek(page * 4096)
            handle.write(rng.randbytes(4096))
        code, output = run("check", "--index-dir", path)
        assert code == 1 and "PROBLEM" in output, (page, output)
        code, output = run("repair", "--quiet", "--json", "--index-dir", path)
        report = json.loads(output)
        assert code == 0 and report["after"]["ok"], (page, output)
        kept = article_ids(path)
        assert kept | set(report["lost"]) >= ids, (page, "every article is kept or named as lost")
        assert len(kept) >= len(ids) - max(2, _articles_on_page(source, page + 1)), (
            page, "one page costs at most the rows on it")


@pytest.mark.model
@pytest.mark.parametrize("damage", ["header", "second half"])
def test_a_database_without_its_header_or_its_second_half_is_salvaged(demo_built, tmp_path, damage):
    """The first 16 bytes overwritten, or the file cut in half: SQLite cannot open it, but its
    leaf pages still hold articles, so `qa check` says repair can rebuild, and it does."""
    source, expected, ids = demo_built
    path = tmp_path / "index"
    shutil.copytree(source, path)
    with sqlite3.connect(path / "articles.sqlite") as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # every page in the main file
    data = (path / "articles.sqlite").read_bytes()
    data = b"\0" * 16 + data[16:] if damage == "header" else data[:len(data) // 2]
    (path / "articles.sqlite").write_bytes(data)
    code, output = run("check", "--index-dir", path)
    assert code == 1 and "intact article(s) can be read off its pages" in output, output
    code, output = run("repair", "--quiet", "--json", "--index-dir", path)
    report = json.loads(output)
    assert code == 0 and report["after"]["ok"], output
    kept = article_ids(path)
    if damage == "header":
        assert kept == ids and answers(path) == expected
    else:
        assert kept and kept < ids and report["lost"] == [f"{len(ids) - len(kept)} article(s) of unknown id"]


def _articles_on_page(index, page_number):
    """How many article rows SQLite keeps on page ``page_number`` (1-based) of the index's database."""
    with sqlite3.connect(index / "articles.sqlite") as db:
        row = db.execute("SELECT ncell FROM dbstat WHERE name = 'articles' AND pagetype = 'leaf' AND pageno = ?",
                         (page_number,)).fetchone()
    return row[0] if row else 0


def test_sqlite_damage_met_while_reading_names_the_file_and_the_fix(settings, embedder):
    ingest([DEMO], settings, embedder=embedder)
    db = settings.index_dir / "articles.sqlite"
    connection = sqlite3.connect(db)
    root = connection.execute("SELECT rootpage FROM sqlite_master WHERE name = 'chunk_spans'").fetchone()[0]
    connection.close()
    with open(db, "r+b") as handle:  # the passages' table's root page becomes garbage
        handle.seek((root - 1) * 4096)
        handle.write(b"\xff" * 4096)
    with pytest.raises(IndexCorruptError) as err:
        with Index.open(settings=settings, embedder=embedder) as index:
            index.retrieve("who holds Tal Rifaat?")
    assert "articles.sqlite is damaged" in str(err.value) and "qa repair" in str(err.value)


# -- 4. a corrupt embedding cache never blocks an ingest ------------------------------------

@pytest.mark.parametrize("rebuild", [False, True])
def test_a_corrupt_cache_is_set_aside(settings, embedder, rebuild):
    ingest([DEMO], settings, embedder=embedder)
    cache = settings.index_dir / "embedding-cache.sqlite"
    cache.write_bytes(b"SQLite format 3\x00" + os.urandom(8192))
    report = ingest([DEMO], settings, embedder=embedder, rebuild=rebuild)
    assert report.ok and len(report.added if rebuild else report.unchanged) == 7
    (warning,) = report.warnings
    assert "was damaged" in warning.reason and "set aside as embedding-cache.sqlite.damaged-" in warning.reason
    assert list(settings.index_dir.glob("embedding-cache.sqlite.damaged-*"))
    assert len(article_ids(settings.index_dir)) == 7


# -- 5. repair without the source files; rebuild never deletes first ------------------------

@pytest.mark.model
def test_repair_brings_back_vectors_keywords_and_manifest(demo):
    path, expected, ids = demo
    for vectors in path.glob("vectors-*.faiss"):
        vectors.unlink()
    (path / "manifest.json").unlink()
    for keywords in path.glob("keywords-*"):  # the keyword index, lost with the vectors
        shutil.rmtree(keywords)
    code, output = run("ask", "who holds Tal Rifaat?", "--index-dir", path)
    assert code == 1 and "manifest.json is missing" in one_line(output) and "qa repair" in output
    code, output = run("repair", "--quiet", "--index-dir", path)
    assert code == 0, output
    for done in ("wrote manifest.json again", "rebuilt the keyword index", "re-embedded 8 passages"):
        assert done in output
    assert answers(path) == expected and article_ids(path) == ids
    code, output = run("check", "--index-dir", path)
    assert code == 0 and "everything is intact" in output


def test_a_rebuild_that_fails_leaves_the_old_index_whole(settings, embedder, tmp_path):
    ingest([DEMO], settings, embedder=embedder)
    before = answers(settings.index_dir, embedder)

    class Broken(HashingEmbedder):
        def embed(self, texts, batch_size=32):
            raise ModelLoadError("the model went away")

    with pytest.raises(ModelLoadError):  # another model: nothing comes from the cache
        ingest([DEMO], settings, embedder=Broken(model_id="other/model"), rebuild=True)
    assert answers(settings.index_dir, embedder) == before and len(article_ids(settings.index_dir)) == 7
    assert not list(tmp_path.glob(".index.rebuild-*")), "the half-built index was removed"
    assert check(IndexDir(settings.index_dir)).ok


def test_uploads_and_other_files_survive_a_rebuild(settings, embedder):
    ingest([DEMO], settings, embedder=embedder)
    (settings.index_dir / "uploads" / "abc").mkdir(parents=True)
    (settings.index_dir / "uploads" / "abc" / "story.md").write_text("# Kept\n\nAn uploaded story.")
    ingest([DEMO / "briefs.jsonl"], settings, embedder=embedder, rebuild=True)
    assert (settings.index_dir / "uploads" / "abc" / "story.md").read_text().startswith("# Kept")
    assert (settings.index_dir / "embedding-cache.sqlite").exists()
    assert len(article_ids(settings.index_dir)) == 2


def test_repair_of_a_damaged_database_in_python(settings, embedder):
    ingest([DEMO], settings, embedder=embedder)
    with sqlite3.connect(settings.index_dir / "articles.sqlite") as db:  # one article's text changes under it
        db.execute("UPDATE articles SET text = text || ' garbled' WHERE rowid = 1")
        lost = db.execute("SELECT id FROM articles WHERE rowid = 1").fetchone()[0]
    found = check(IndexDir(settings.index_dir))
    assert found.damaged_articles == [lost]
    report = repair(settings, embedder=embedder)
    assert report.ok and report.lost == [lost]
    assert len(article_ids(settings.index_dir)) == 6


def test_a_garbage_manifest_sends_every_command_to_repair(settings, embedder):
    """Not `ingest --rebuild` (which needs the original files): the database records the build."""
    ingest([DEMO], settings, embedder=embedder)
    (settings.index_dir / "manifest.json").write_text("garbage{")
    for command in (["list"], ["remove", "nothing"], ["info"]):
        code, output = run(*command, "--index-dir", settings.index_dir)
        assert code == 1 and "qa repair --index-dir" in output and "--rebuild" not in output, (command, output)
    report = repair(settings, embedder=embedder)
    assert report.ok and report.actions == ["wrote manifest.json again from the database"]


def test_a_manifest_that_lies_about_the_build_is_caught_and_written_again(settings, embedder, tmp_path):
    ingest([DEMO], settings, embedder=embedder)
    manifest = settings.index_dir / "manifest.json"
    data = json.loads(manifest.read_text())
    data["embedding"]["dimension"] = 768  # the vectors have the hashing embedder's dimension
    manifest.write_text(json.dumps(data))
    found = check(IndexDir(settings.index_dir))
    assert [p.part for p in found.problems] == ["manifest"]
    assert f"dimension 768, the database recorded {embedder.dimension}" in found.problems[0].what
    note = tmp_path / "note.md"
    note.write_text("# Ferry\n\nThe ferry timetable changes on Monday.\n")
    with pytest.raises(IndexCorruptError, match="manifest.json says dimension 768.*qa repair"):
        ingest([note], settings, embedder=embedder)
    code, output = run("remove", "nothing", "--index-dir", settings.index_dir)
    assert code == 1 and "manifest.json says dimension 768" in one_line(output) and "qa repair" in output
    report = repair(settings, embedder=embedder)
    assert report.ok and report.actions == ["wrote manifest.json again from the database"]
    assert ingest([note], settings, embedder=embedder).ok
    assert len(article_ids(settings.index_dir)) == 8


def test_a_damaged_interior_page_costs_no_article(settings, embedder, tmp_path):
    """SQLite reaches rows through interior pages: one damaged, every lookup fails though the
    leaves below are intact. repair reads the leaves themselves and keeps every article."""
    rng = random.Random(3)
    words = "harbour council ferry bridge river budget school mayor storm market".split()
    for n in range(40):
        body = " ".join(rng.choice(words) for _ in range(300))
        (tmp_path / f"a{n}.md").write_text(f"# Report {n}\n\nThe report number {n} says {body}.\n")
    ingest([tmp_path / f"a{n}.md" for n in range(40)], settings, embedder=embedder)
    ids = article_ids(settings.index_dir)
    database = settings.index_dir / "articles.sqlite"
    with sqlite3.connect(database) as db:
        (interior,) = db.execute("SELECT pageno FROM dbstat WHERE name = 'articles' AND pagetype = 'internal'"
                                 ).fetchall()[0]
        page_size = db.execute("PRAGMA page_size").fetchone()[0]
    with open(database, "r+b") as handle:
        handle.seek((interior - 1) * page_size)
        handle.write(rng.randbytes(page_size))
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as db, pytest.raises(sqlite3.DatabaseError):
        db.execute("SELECT title FROM articles WHERE rowid = 1").fetchone()  # the b-tree no longer reaches it
    report = repair(settings, embedder=embedder)
    assert report.ok and report.lost == [], report
    assert article_ids(settings.index_dir) == ids and len(ids) == 40
    assert check(IndexDir(settings.index_dir)).ok


# -- 6. a running reader follows a rebuilt or replaced index -------------------------------

def test_an_open_index_follows_a_rebuild(settings, embedder, tmp_path):
    ingest([DEMO], settings, embedder=embedder)
    with Index.open(settings=settings, embedder=embedder) as index:
        assert index.info().articles == 7
        ingest([DEMO / "briefs.jsonl"], settings, embedder=embedder, rebuild=True)
        assert index.info().articles == 2
        (tmp_path / "new.md").write_text("# Glacier\n\nThe glacier retreated forty metres this summer.")
        ingest([tmp_path / "new.md"], settings, embedder=embedder)
        assert index.info().articles == 3
        assert index.retrieve("glacier retreated forty metres", k=1)[0].title == "Glacier"


# -- 7. uploads keep every article ----------------------------------------------------------

@pytest.mark.model
def test_two_uploads_with_one_name_are_two_articles(demo, tmp_path):
    from ui.index_panel import IndexPanel

    path, _, _ = demo
    first, second = tmp_path / "a" / "notes.md", tmp_path / "b" / "notes.md"
    for f, text in ((first, "The ferry to the island runs twice a day."), (second, "The bakery opens at six.")):
        f.parent.mkdir()
        f.write_text(f"# Notes\n\n{text}")
    with Index.open(path) as index:
        handlers = IndexPanel(index)
        summaries = [handlers.upload([str(f)]) for f in (first, second, second)]
        assert all("<strong>1 added" in s for s in summaries[:2])
        assert "<strong>0 added, 0 updated, 1 unchanged" in summaries[2]
        assert index.info().articles == 9


# -- 8. smaller things ------------------------------------------------------------------------

@pytest.mark.model
@pytest.mark.parametrize("question", ["*", '"', "\x00\x00", "AND OR NOT"])
def test_questions_without_a_word_are_refused(demo, question):
    path, _, _ = demo
    code, output = run("ask", question, "--index-dir", path)
    line = one_line(output)
    assert code == 1 and ("no word" in line or "the question is empty" in line), output


@pytest.mark.model
def test_terminal_output_has_no_control_characters(demo, tmp_path):
    path, _, _ = demo
    evil = tmp_path / "evil.jsonl"
    evil.write_text(json.dumps({"id": "evil", "title": "Harmless\x1b]0;pwned\x07 title\x9b2J",
                                "text": "The lantern\x1b[2J festival draws crowds every spring.",
                                "source": "Evil\u202eTimes"}) + "\n")
    assert run("ingest", "--quiet", "--index-dir", path, evil)[0] == 0
    for command in (["list"], ["ask", "lantern festival crowds", "-k", "1"],
                    ["ask", "lantern festival crowds", "-k", "1", "--format", "md"]):
        code, output = run(*command, "--index-dir", path)
        assert code == 0 and "pwned" in output or "festival" in output
        assert not any(ch in output for ch in "\x1b\x07\x9b\u202e"), repr(output)


def test_inputs_that_are_not_articles_are_each_listed(settings, embedder, tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "good.md").write_text("# Good\n\nThe ferry to the island runs twice a day in winter.")
    (folder / "menu.html").write_text('<html><body><nav><a href="/">Home</a> | <a href="/n">News</a></nav>'
                                      "</body></html>")
    (folder / "broken-utf8.txt").write_bytes("Caf\u00e9 \u2014 the na\u00efve report\n\nIt said \u201cyes\u201d."
                                             .encode() + b" and \xff then more.")
    (folder / "dangling.md").symlink_to(tmp_path / "nowhere.md")
    (folder / "loop").symlink_to(folder)
    report = ingest([folder, "/dev/null"], settings, embedder=embedder)
    reasons = {e.source.rsplit("/", 1)[-1]: e.reason for e in report.failed}
    assert "no article text found in the page: only 3 words" in reasons["menu.html"]
    assert reasons["dangling.md"].startswith("broken symbolic link")
    assert reasons["loop"].startswith("symbolic link loop")
    assert reasons["null"].startswith("not a regular file (a character device)")
    assert len(report.added) == 2  # good.md and broken-utf8.txt
    (warning,) = report.warnings
    assert warning.source.endswith("broken-utf8.txt") and "not valid UTF-8: 1 broken byte" in warning.reason
    with Index.open(settings=settings, embedder=embedder) as index:
        found = index.retrieve("it said yes and then more", k=1)[0]
    # no mojibake: the UTF-8 is read as UTF-8, the one bad byte marked
    assert found.title == "Café — the naïve report" and found.text == "It said “yes”. and \ufffd then more."


@pytest.mark.model
def test_ingest_prints_warnings(tmp_path):
    bad = tmp_path / "broken.txt"
    bad.write_bytes("Caf\u00e9 \u2014 report\n\nThe na\u00efve text.".encode() + b" \xfe")
    code, output = run("ingest", "--quiet", "--index-dir", tmp_path / "index", bad)
    assert code == 0 and "warning: " in output and "not valid UTF-8" in output


@pytest.mark.model
def test_the_http_api_answers_bad_input_with_400_and_follows_a_rebuild(demo, tmp_path):
    import subprocess
    import urllib.error
    import urllib.request

    from tests.serving import QA, served

    path, _, _ = demo
    env = {**os.environ, "QA_INDEX_DIR": str(path)}

    def post(url, data, path="gradio_api/run/search", body=None):
        request = urllib.request.Request(url + path, data=body or json.dumps({"data": data}).encode(),
                                         headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read())

    good = ["who holds Tal Rifaat?", 3, "", "", [], "relevance"]
    bad = {"k": (1, "five"), "k float": (1, 2.5), "k zero": (1, 0), "sources": (4, 7), "surrogate": (0, "\ud800 x"),
           "no word": (0, "*"), "stopwords": (0, "AND OR NOT"), "since": (2, "Dec 2024"), "order": (5, "sideways")}
    with served(env, tmp_path / "serve.log") as url:
        status, body = post(url, good)
        assert status == 200 and body["data"][0]["passages"][0]["title"].startswith("Turkey-backed")
        assert post(url, [good[0], None, *good[2:]])[0] == 200  # k null: the default number of passages
        for name, (position, value) in bad.items():
            data = list(good)
            data[position] = value
            status, body = post(url, data)
            assert status == 400 and body["error"] and "\n" not in body["error"], (name, status, body)
        status, body = post(url, [good[0]])  # the question alone: the rest take their defaults
        assert status == 200 and body["data"][0]["passages"][0]["title"].startswith("Turkey-backed")
        assert post(url, [*good, "extra"]) == (400, {"error": "/search takes 1 to 6 values (question, k, since, "
                                                              "until, sources, order), got 7", "title": "Bad request"})
        status, body = post(url, None, "gradio_api/call/v2/search", b'{"data": ["who holds Tal Rifaat?"]}')
        assert status == 400 and "not a valid key-word argument" in body["error"], body
        status, body = post(url, ["tal rifaat " * 2_500])  # 27,500 characters
        assert status == 400 and "the limit is 20,000" in body["error"], body
        started = time.monotonic()
        status, body = post(url, ["x " * 600_000])  # a megabyte and more: refused before it is read whole
        assert status == 413 and time.monotonic() - started < 2, body
        # a rebuild while serving: the server reopens the new index
        subprocess.run([QA, "ingest", "--rebuild", "--quiet", str(DEMO / "briefs.jsonl")], env=env, check=True)
        status, body = post(url, good)
        assert status == 200 and all(not p["title"].startswith("Turkey-backed") for p in body["data"][0]["passages"])
    log = (tmp_path / "serve.log").read_text()
    assert "Traceback" not in log, log


class _StoppedByCtrlC(HashingEmbedder):
    """The user presses Ctrl+C while the third group of articles is being embedded."""

    def embed(self, texts, batch_size=32):
        if len(self.calls) == 2:
            raise KeyboardInterrupt
        return super().embed(texts, batch_size)


def test_ctrl_c_keeps_what_was_stored_and_says_so(settings, tmp_path):
    from qa.render import interrupted

    path = tmp_path / "many.jsonl"
    words = "the harbour board met on monday to discuss ferry timetables and new berths " * 250
    path.write_text("".join(json.dumps({"id": f"a{i}", "title": f"Story {i}", "text": f"Story {i}. {words}"})
                            + "\n" for i in range(6)))
    with pytest.raises(KeyboardInterrupt) as stopped:  # two articles a batch, each batch one embedding call
        ingest([path], settings, embedder=_StoppedByCtrlC(), batch_chars=30_000)
    report = stopped.value.report
    assert report.added == ["a0", "a1", "a2", "a3"]  # each batch committed before the stop is kept
    said = interrupted(report)
    assert said.startswith("interrupted: kept 4 article(s) stored before the stop") and "same command again" in said
    with Index.open(settings=settings, embedder=HashingEmbedder()) as index:
        assert {a.id for a in index.articles()} == {"a0", "a1", "a2", "a3"}
    again = ingest([path], settings, embedder=HashingEmbedder())  # the rest, the kept ones skipped
    assert sorted(again.added) == ["a4", "a5"] and sorted(again.unchanged) == ["a0", "a1", "a2", "a3"]
