"""The keyword index (tantivy) after a SIGKILL at each point where it is written.

A write commits the database first (its rows, and the articles the keyword index must take
up), then tantivy, then records tantivy's commit; a conversion and a rebuild write tantivy in
steps too. Each test kills a process at one of those points, deterministically (the child
wraps the function at that point with a kill), then checks what is left: `qa check` passes
or names the keyword index with its fix, readers answer from what is committed, and `qa
repair` (or the next write) brings it back whole.
"""

import signal
import subprocess
import sys
import textwrap

import pytest
from click.testing import CliRunner

from index.directory.layout import IndexDir
from index.ingestion import ingest, remove
from index.maintenance.checks import check
from qa.cli import main
from qa.retriever import Index
from tests.conftest import DEMO, ROOT
from tests.earlier import as_written_before_tantivy
from tests.index.test_ingest import write_articles

# where the child dies: (class.method, the call that dies, before or after the call runs)
POINTS = {
    "after the database commit, before tantivy is written": ("keywords.KeywordIndex.write", 1, "before"),
    "halfway through adding passages to tantivy": ("keywords.KeywordPassage.document", 2, "before"),
    "after tantivy's commit, before the database records it": ("keywords.KeywordIndex.write", 1, "after"),
}


def _killed(settings, point: tuple[str, int, str], then: str) -> None:
    """Run ``then`` (Python, with ``settings``, ``ingest``, ``remove``, ``HashingEmbedder``) in
    a child that dies at ``point``."""
    where, call, when = point
    module, cls, name = where.split(".")
    script = "\n".join([
        "import os, signal",
        "from index.store import keywords, spelling",
        "from index.ingestion import ingest, remove",
        "from qa.settings import Settings",
        "from tests.fakes import HashingEmbedder",
        "calls = []",
        f"original = {module}.{cls}.{name}",
        "def wrapped(*args, **kwargs):",
        "    calls.append(1)",
        f"    if {when == 'before'} and len(calls) == {call}: os.kill(os.getpid(), signal.SIGKILL)",
        "    result = original(*args, **kwargs)",
        f"    if {when == 'after'} and len(calls) == {call}: os.kill(os.getpid(), signal.SIGKILL)",
        "    return result",
        f"{module}.{cls}.{name} = wrapped",
        f"settings = Settings(index_dir={str(settings.index_dir)!r})",
    ]) + "\n" + textwrap.dedent(then)
    child = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert child.returncode == -signal.SIGKILL, child.stderr[-2000:]


def _keyword_hits(settings, embedder, words: list[str]) -> set[str]:
    with Index.open(settings=settings, embedder=embedder) as index:
        found = index.reader.keyword_search(words, 50)
        return {row.article_id for row in index.reader.chunks(list(found)).values()}


@pytest.mark.parametrize("point", list(POINTS))
def test_a_kill_in_a_keyword_write_leaves_an_index_that_answers_and_repairs(settings, embedder, tmp_path, point):
    ingest([write_articles(tmp_path / "a.jsonl", 6)], settings, embedder=embedder)
    more = write_articles(tmp_path / "b.jsonl", 3, start=40)
    _killed(settings, POINTS[point], f"""
        remove(["a0"], settings)
        ingest([{str(more)!r}], settings, embedder=HashingEmbedder())
        """)
    report = check(IndexDir(settings.index_dir))
    assert {p.part for p in report.problems} <= {"manifest", "keywords"}, report.problems
    # the removal committed (a0 is gone everywhere); the addition may or may not have
    assert "a0" not in _keyword_hits(settings, embedder, ["report", "council"])
    result = CliRunner().invoke(main, ["repair", "--index-dir", str(settings.index_dir)])
    assert result.exit_code == 0, result.output
    assert check(IndexDir(settings.index_dir)).ok
    ingest([more], settings, embedder=embedder)  # whatever the kill cut off is added now
    assert {"a40", "a41", "a42"} <= _keyword_hits(settings, embedder, ["40", "41", "42"])
    assert len(list(settings.index_dir.glob("keywords-*"))) == 1
    assert check(IndexDir(settings.index_dir)).ok


def test_after_a_kill_the_next_write_replays_what_the_keyword_index_missed(settings, embedder, tmp_path):
    ingest([write_articles(tmp_path / "a.jsonl", 6)], settings, embedder=embedder)
    more = write_articles(tmp_path / "b.jsonl", 2, start=40)
    _killed(settings, POINTS["after the database commit, before tantivy is written"],
            f"ingest([{str(more)!r}], settings, embedder=HashingEmbedder())")
    report = check(IndexDir(settings.index_dir))
    assert [p.part for p in report.problems if p.part == "keywords"] == ["keywords"]
    assert "cut short" in str(report.problems) and "qa repair" in str(report.problems)
    ingest([write_articles(tmp_path / "c.jsonl", 1, start=60)], settings, embedder=embedder)
    assert check(IndexDir(settings.index_dir)).ok
    assert {"a40", "a41", "a60"} <= _keyword_hits(settings, embedder, ["40", "41", "60"])


def test_a_kill_in_the_middle_of_a_conversion_is_finished_by_the_next_open(settings, embedder, tmp_path):
    ingest([write_articles(tmp_path / "a.jsonl", 12)], settings, embedder=embedder)
    with Index.open(settings=settings, embedder=embedder) as index:
        before = index.reader.keyword_search(["report", "council", "7"], 100)
    as_written_before_tantivy(settings.index_dir)
    _killed(settings, ("keywords.KeywordIndex.write", 2, "after"), """
        from index.directory import keywords as steps
        from qa.retriever import Index
        steps.BATCH = 4  # three steps of four articles; the kill comes after the second
        Index.open(settings=settings, embedder=HashingEmbedder())
        """)
    report = check(IndexDir(settings.index_dir))
    assert [p.part for p in report.problems] == ["keywords"] and "cut short" in report.problems[0].what
    with Index.open(settings=settings, embedder=embedder) as index:  # finishes the conversion
        assert index.reader.keyword_search(["report", "council", "7"], 100) == before
    assert check(IndexDir(settings.index_dir)).ok


def test_a_kill_while_repair_swaps_a_rebuilt_keyword_index_in_leaves_the_old_state(settings, embedder, tmp_path):
    ingest([write_articles(tmp_path / "a.jsonl", 5)], settings, embedder=embedder)
    (folder,) = settings.index_dir.glob("keywords-*")
    (folder / "meta.json").unlink()  # damaged: only a rebuild from the database fixes it
    _killed(settings, ("spelling.Vocabulary.clear", 1, "before"), """
        from index.maintenance.repairs import repair
        repair(settings, embedder=HashingEmbedder())
        """)
    report = check(IndexDir(settings.index_dir))
    assert [p.part for p in report.problems] == ["keywords"] and "meta.json" in report.problems[0].what
    result = CliRunner().invoke(main, ["repair", "--index-dir", str(settings.index_dir)])
    assert result.exit_code == 0 and "rebuilt the keyword index" in result.output, result.output
    assert check(IndexDir(settings.index_dir)).ok
    assert len(list(settings.index_dir.glob("keywords-*"))) == 1  # the half-built one is gone
    assert {"a1", "a3"} <= _keyword_hits(settings, embedder, ["1", "3"])


def test_a_keyword_index_at_another_commit_than_the_database_is_brought_to_it(settings, embedder, tmp_path):
    """What a backup meets when a writer commits between its copy of the database and its copy
    of the keyword index: the copy's keyword index is reconciled with the copy's passages."""
    import shutil

    from index.directory import reconcile
    from index.store import Store

    ingest([write_articles(tmp_path / "a.jsonl", 6)], settings, embedder=embedder)
    earlier = tmp_path / "earlier"
    shutil.copytree(settings.index_dir, earlier)  # the database as a backup copied it
    from index.ingestion import remove

    remove(["a1"], settings)
    ingest([write_articles(tmp_path / "b.jsonl", 2, start=40)], settings, embedder=embedder)
    (folder,) = settings.index_dir.glob("keywords-*")
    shutil.rmtree(earlier / folder.name)
    shutil.copytree(folder, earlier / folder.name)  # ... and the keyword index a commit later
    assert "keywords" in check(IndexDir(earlier)).parts()
    store = Store(earlier / "articles.sqlite")
    try:
        assert reconcile(IndexDir(earlier), store) == (2, 1)  # a40, a41 out (one passage each), a1 back
    finally:
        store.close()
    assert check(IndexDir(earlier)).ok


def test_a_commit_cut_short_leaves_no_file_that_blocks_the_next_write(settings, embedder):
    """tantivy registers a file in .managed.json, then writes it; a writer killed in its commit
    leaves ``SEGMENT.OPSTAMP.del`` files the next commit would write again ("FileAlreadyExists",
    met once in the merge-kill test). The next write collects them first and goes through."""
    import json

    report = ingest([DEMO], settings, embedder=embedder)
    folder = next(settings.index_dir.glob("keywords-*"))
    meta = json.loads((folder / "meta.json").read_text())
    managed = json.loads((folder / ".managed.json").read_text())
    for segment in meta["segments"]:
        for opstamp in range(meta["opstamp"], meta["opstamp"] + 400):  # whatever the next commit's is
            name = f"{segment['segment_id'].replace('-', '')}.{opstamp}.del"
            managed.append(name)
            (folder / name).write_bytes(b"left by a killed writer")
    (folder / ".managed.json").write_text(json.dumps(managed))
    assert remove([report.added[0]], settings).removed == [report.added[0]]
    assert check(IndexDir(settings.index_dir)).ok
