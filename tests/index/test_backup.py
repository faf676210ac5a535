"""`qa backup DEST`: a whole, checked copy of an index, also while a writer commits."""

from __future__ import annotations

import json
import threading

from click.testing import CliRunner

from index.directory.layout import IndexDir
from index.ingestion import ingest
from index.maintenance.checks import check
from qa.cli import main
from qa.retriever import Index
from tests.conftest import DEMO


def run(*args):
    result = CliRunner().invoke(main, [str(a) for a in args])
    return result.exit_code, result.output


def test_backups_taken_while_ingests_commit_are_each_a_whole_index(settings, embedder, tmp_path):
    ingest([DEMO], settings, embedder=embedder)
    notes = []
    for n in range(24):
        note = tmp_path / "notes" / f"n{n}.md"
        note.parent.mkdir(exist_ok=True)
        note.write_text(f"# Harbour note {n}\n\nThe harbour board met for the {n}th time and moved buoy {n}.\n")
        notes.append(note)
    failures: list[BaseException] = []

    def writer():  # one generation per note; small segments get merged along the way
        try:
            for note in notes:
                ingest([note], settings, embedder=embedder)
        except BaseException as exc:  # noqa: BLE001 (reported by the test)
            failures.append(exc)

    thread = threading.Thread(target=writer)
    thread.start()
    copies = []
    while thread.is_alive() or len(copies) < 2:
        dest = tmp_path / "backups" / f"b{len(copies)}"
        code, output = run("backup", dest, "--json", "--index-dir", settings.index_dir)
        assert code == 0, output
        copies.append((dest, json.loads(output)))
    thread.join()
    assert not failures, failures
    generations = {report["generation"] for _, report in copies}
    assert len(generations) >= 2, "the copies saw the writer's commits"
    for dest, report in copies:
        assert check(IndexDir(dest)).ok, dest
        with Index.open(dest, embedder=embedder) as index:
            assert index.info().articles == report["articles"] >= 7
            best = index.retrieve("who holds Tal Rifaat?", k=1)[0]
            assert best.title.startswith("Turkey-backed fighters take Tal Rifaat")
    assert not list((tmp_path / "backups").glob(".*"))  # no staging directory left behind


def test_a_backup_never_overwrites_and_never_lands_inside_the_index(settings, embedder, tmp_path):
    ingest([DEMO], settings, embedder=embedder)
    taken = tmp_path / "taken"
    (taken / "keep.txt").parent.mkdir()
    (taken / "keep.txt").write_text("mine")
    code, output = run("backup", taken, "--index-dir", settings.index_dir)
    assert code == 1 and "already exists and is not an empty directory" in output and "never overwrites" in output
    assert (taken / "keep.txt").read_text() == "mine"
    code, output = run("backup", settings.index_dir / "copy", "--index-dir", settings.index_dir)
    assert code == 1 and "is inside the index" in output
    code, output = run("backup", tmp_path / "nothing", "--index-dir", tmp_path / "missing")
    assert code == 1 and "no index at" in output and not (tmp_path / "nothing").exists()
    code, output = run("backup", tmp_path / "small", "--no-cache", "--index-dir", settings.index_dir)
    assert code == 0 and "checked" in output
    assert not (tmp_path / "small" / "embedding-cache.sqlite").exists() and check(IndexDir(tmp_path / "small")).ok
