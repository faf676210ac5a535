"""`qa backup DEST`: a whole, checked copy of an index, also while a writer commits."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

from click.testing import CliRunner

from index import BackupReport, QAError, backup
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


def test_two_backups_into_one_dest_one_lands_and_the_other_is_told(settings, embedder, tmp_path):
    """A cron job that overlaps itself: the second run starts at 20 offsets across the first's
    copy. Each time one lands a copy that checks clean; the other says DEST is taken (or, once
    the first landed, that it exists); nothing is left beside DEST."""
    ingest([DEMO], settings, embedder=embedder)
    started = time.perf_counter()
    backup(settings, tmp_path / "timing")
    took = time.perf_counter() - started
    for attempt in range(20):
        dest = tmp_path / "backups" / f"b{attempt}"
        outcomes: list = []

        def one(dest=dest, outcomes=outcomes) -> None:
            try:
                outcomes.append(backup(settings, dest))
            except QAError as exc:
                outcomes.append(exc)

        first = threading.Thread(target=one)
        first.start()
        time.sleep(took * attempt / 20)
        second = threading.Thread(target=one)
        second.start()
        first.join()
        second.join()
        landed = [o for o in outcomes if isinstance(o, BackupReport)]
        refused = [o for o in outcomes if isinstance(o, QAError)]
        assert len(landed) == 1 and len(refused) == 1, outcomes
        assert re.search(r"is taken: another `qa backup`|already exists and is not an empty directory",
                         str(refused[0])), refused[0]
        assert str(dest) in str(refused[0])
        assert check(IndexDir(dest)).ok
    assert not list((tmp_path / "backups").glob(".*"))


def test_a_killed_backups_claim_and_staging_are_cleaned_by_the_next(settings, embedder, tmp_path):
    ingest([DEMO], settings, embedder=embedder)
    dest = tmp_path / "dest"
    gone = subprocess.Popen(["true"])
    gone.wait()  # a pid that ran and is no longer running: the killed backup's
    (tmp_path / ".dest.backup-claim").write_text(f"{gone.pid} 12345")
    (tmp_path / f".dest.backup-{gone.pid}.tmp").mkdir()
    (tmp_path / f".dest.backup-{gone.pid}.tmp" / "articles.sqlite").write_bytes(b"half a copy")
    code, output = run("backup", dest, "--index-dir", settings.index_dir)
    assert code == 0, output
    assert check(IndexDir(dest)).ok
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".dest")) == []


def test_a_full_disk_names_the_backups_dest_not_the_intact_source(settings, embedder, tmp_path):
    ingest([DEMO], settings, embedder=embedder)
    script = (  # a file size limit makes every write past 60 KB fail, as a full disk does
        "import resource, signal, sys\n"
        "from index import backup, QAError, IndexSettings\n"
        "signal.signal(signal.SIGXFSZ, signal.SIG_IGN)\n"
        "resource.setrlimit(resource.RLIMIT_FSIZE, (60_000, 60_000))\n"
        "try:\n"
        f"    backup(IndexSettings(index_dir={str(settings.index_dir)!r}), {str(tmp_path / 'dest')!r})\n"
        "except QAError as exc:\n"
        "    print(type(exc).__name__, exc)\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120,
                          cwd=Path(__file__).resolve().parents[2])  # not tmp_path: its index/ folder would shadow ours
    out = done.stdout + done.stderr[-800:]
    assert out.startswith(f"IndexWriteError cannot write the backup to {tmp_path / 'dest'}"), out
    assert "qa check" not in out and not (tmp_path / "dest").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".dest")]
    assert check(IndexDir(settings.index_dir)).ok
