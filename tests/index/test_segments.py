"""Vector segments: a commit writes only its own vectors; merges, compaction, removals,
approximate search, older single-file indexes, and a kill in the middle of a merge."""

import json
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time

import numpy as np
from click.testing import CliRunner

from index.directory.layout import IndexDir
from index.directory.reader import IndexReader
from index.ingestion import ingest, remove
from index.maintenance.checks import check
from index.maintenance.compaction import compact
from index.store.segments import MERGE_FACTOR, Segment, plan_merge
from index.store.vectors import VectorIndex
from qa.cli import main
from tests.conftest import ROOT
from tests.index.test_ingest import write_articles


def _reader(settings, embedder):
    return IndexReader(IndexDir(settings.index_dir), embedder.model_id)


def _segments(settings):
    reader = IndexReader(IndexDir(settings.index_dir))
    try:
        return reader.store.state()
    finally:
        reader.close()


def test_a_commit_writes_only_its_own_vectors(settings, embedder, tmp_path):
    ingest([write_articles(tmp_path / "one.jsonl", 5)], settings, embedder=embedder)
    first = _segments(settings).segments
    assert len(first) == 1
    path = settings.index_dir / first[0].file
    before = (path.stat().st_ino, path.stat().st_mtime_ns, path.read_bytes())

    ingest([write_articles(tmp_path / "two.jsonl", 3, start=5)], settings, embedder=embedder)
    state = _segments(settings)
    assert [s.file for s in state.segments][:1] == [first[0].file], "the first segment is still listed"
    assert (path.stat().st_ino, path.stat().st_mtime_ns, path.read_bytes()) == before, "and untouched"
    assert state.segments[1].count == state.chunks - first[0].count, "the new segment holds only new vectors"
    assert check(IndexDir(settings.index_dir)).ok


def test_many_commits_are_merged_by_tier_and_answer_like_one(settings, embedder, tmp_path):
    data = write_articles(tmp_path / "a.jsonl", 60, words=200)
    ingest([data], settings, embedder=embedder, batch_chars=2000)  # a commit every two articles or so
    state = _segments(settings)
    assert state.generation > 2 * MERGE_FACTOR, "many commits"
    assert len(state.segments) < MERGE_FACTOR, f"merged: {[s.count for s in state.segments]}"
    assert check(IndexDir(settings.index_dir)).ok

    one = settings.replace(index_dir=tmp_path / "one")
    ingest([data], one, embedder=embedder)
    assert len(_segments(one).segments) == 1
    many, single = _reader(settings, embedder), _reader(one, embedder)
    try:
        for question in ("the orchard number 7", "council of town 33", "the glacier report"):
            query = embedder.embed([question])[0]
            got = [many.chunks([i])[i].text for i in many.dense_search(query, 5)]
            want = [single.chunks([i])[i].text for i in single.dense_search(query, 5)]
            assert got == want, question
    finally:
        many.close()
        single.close()


def test_removed_vectors_wait_for_a_merge_and_ids_are_never_reused(settings, embedder, tmp_path):
    ingest([write_articles(tmp_path / "a.jsonl", 10)], settings, embedder=embedder)
    held = _segments(settings)
    remove(["a3", "a9"], settings)
    state = _segments(settings)
    assert state.segments == held.segments, "a removal rewrites no vector file"
    assert len(state.removed) > 0 and state.chunks + len(state.removed) == held.chunks
    removed = set(state.removed)

    ingest([write_articles(tmp_path / "b.jsonl", 2, start=20)], settings, embedder=embedder)
    reader = _reader(settings, embedder)
    try:
        assert not removed & set(reader.store.chunk_ids()), "a removed chunk's id is not given again"
        query = embedder.embed(["Report 9 about the lighthouse number 9"])[0]
        hits = reader.chunks(list(reader.dense_search(query, 50)))
        assert hits and not {h.article_id for h in hits.values()} & {"a3", "a9"}
    finally:
        reader.close()

    result = CliRunner().invoke(main, ["compact", "--index-dir", str(settings.index_dir)])
    assert result.exit_code == 0, result.output
    assert "merged 2 vector segment(s) into 1" in result.output and f"dropping {len(removed)} removed" in result.output
    state = _segments(settings)
    assert len(state.segments) == 1 and state.removed == ()
    assert {p.name for p in settings.index_dir.glob("*.faiss")} == {state.segments[0].file}
    assert check(IndexDir(settings.index_dir)).ok
    assert "nothing to merge" in CliRunner().invoke(main, ["compact", "--index-dir", str(settings.index_dir)]).output


def test_an_open_reader_follows_merges_and_compaction(settings, embedder, tmp_path):
    ingest([write_articles(tmp_path / "a.jsonl", 4)], settings, embedder=embedder)
    reader = _reader(settings, embedder)
    try:
        for start in range(4, 40, 4):
            ingest([write_articles(tmp_path / f"b{start}.jsonl", 4, start=start)], settings, embedder=embedder)
            assert reader.refresh()
            assert len(reader.vectors) == reader.store.state().chunks
        compact(settings, ann_min=50)
        assert reader.refresh()
        query = embedder.embed(["Report 37 about the harbour number 37"])[0]
        best = reader.chunks(list(reader.dense_search(query, 1)))
        assert [c.article_id for c in best.values()] == ["a37"]
    finally:
        reader.close()


def test_an_approximate_segment_keeps_recall_and_filters(tmp_path):
    rng = np.random.default_rng(7)
    centres = rng.normal(size=(40, 64))
    vectors = centres[rng.integers(0, 40, 6000)] + 0.6 * rng.normal(size=(6000, 64))
    vectors = (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)
    ids = np.arange(1, 6001)
    exact = VectorIndex.build(64, ids, vectors)
    ann = VectorIndex.build(64, ids, vectors, approximate=True)
    assert ann.approximate and not exact.approximate
    sha, size = ann.save(tmp_path / "ann.faiss")
    ann = VectorIndex.load(tmp_path / "ann.faiss", 64, sha, size)

    queries = vectors[rng.choice(6000, 50, replace=False)] + 0.3 * rng.normal(size=(50, 64)).astype(np.float32)
    found = [len(set(ann.search(q, 10)[0]) & set(exact.search(q, 10)[0])) / 10 for q in queries]
    assert np.mean(found) >= 0.95

    allowed = ids[rng.choice(6000, 30, replace=False)]  # a narrow filter: searched exactly, never empty
    for q in queries[:10]:
        got, (_, best) = ann.search(q, 5, allowed=allowed)[0], exact.search(q, 5, allowed=allowed)
        assert len(got) == 5 and set(got) <= set(allowed)
        # the same passages up to 8-bit rounding: their true scores match the exact ones
        np.testing.assert_allclose(np.sort(vectors[got - 1] @ q)[::-1], best, atol=0.02)
    removed = exact.search(queries[0], 3)[0]
    assert not set(ann.search(queries[0], 10, excluded=removed)[0]) & set(removed)


def test_plan_merge_takes_a_full_tier_smallest_first():
    small = [Segment(f"s{i}", "", 0, 30) for i in range(MERGE_FACTOR)]
    big = [Segment(f"b{i}", "", 0, 10_000) for i in range(MERGE_FACTOR - 1)]
    assert plan_merge(small[:-1] + big) == []
    assert plan_merge(small + big) == small
    assert plan_merge(big, everything=True) == big


def test_an_index_with_one_vector_file_per_generation_opens_and_upgrades(settings, embedder, tmp_path):
    """Indexes written before segments record one file's checksum, not a list."""
    ingest([write_articles(tmp_path / "a.jsonl", 6)], settings, embedder=embedder)
    state = _segments(settings)
    (segment,) = state.segments
    legacy = f"vectors-{state.generation:06d}.faiss"
    os.replace(settings.index_dir / segment.file, settings.index_dir / legacy)
    with sqlite3.connect(settings.index_dir / "articles.sqlite") as db:
        db.execute("DELETE FROM meta WHERE key = 'segments'")
        db.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)",
                       [("vectors_sha256", segment.sha256), ("vectors_bytes", str(segment.bytes))])
    manifest = json.loads((settings.index_dir / "manifest.json").read_text())
    manifest["vectors"] = {"sha256": segment.sha256, "bytes": segment.bytes}
    (settings.index_dir / "manifest.json").write_text(json.dumps(manifest))

    reader = _reader(settings, embedder)
    assert len(reader.vectors) == state.chunks
    reader.close()
    ingest([write_articles(tmp_path / "b.jsonl", 2, start=6)], settings, embedder=embedder)
    after = _segments(settings)
    assert after.segments[0].file == legacy and len(after.segments) == 2
    assert check(IndexDir(settings.index_dir)).ok


def test_sigkill_in_the_middle_of_merges_leaves_a_whole_index(settings, embedder, tmp_path):
    """Kill a process that commits and merges (approximate segments included) at several moments."""
    data = write_articles(tmp_path / "a.jsonl", 120, words=150)
    script = textwrap.dedent(f"""
        from index.maintenance.compaction import compact
        from index.ingestion import ingest, remove
        from qa.settings import Settings
        from tests.fakes import HashingEmbedder

        settings = Settings(index_dir={str(settings.index_dir)!r})
        while True:
            ingest([{str(data)!r}], settings, embedder=HashingEmbedder(), batch_chars=1500)
            compact(settings, ann_min=64)
            remove([f"a{{i}}" for i in range(0, 120, 7)], settings)
        """)
    for delay in (0.3, 0.9, 1.7):
        child = subprocess.Popen([sys.executable, "-c", script], cwd=ROOT)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not (settings.index_dir / "manifest.json").exists():
            time.sleep(0.05)
        time.sleep(delay)
        child.send_signal(signal.SIGKILL)
        child.wait()
        assert child.returncode == -signal.SIGKILL
        report = check(IndexDir(settings.index_dir))
        # a kill between the commit and the manifest's rewrite leaves the manifest a generation
        # behind (readers go by the database) and perhaps the keyword index a write behind: the
        # next writer rewrites the one and replays the other
        assert {p.part for p in report.problems} <= {"manifest", "keywords"}, [p.what for p in report.problems]
        assert all("cut short" in p.what for p in report.problems if p.part == "keywords"), report.problems
        reader = _reader(settings, embedder)
        assert len(reader.vectors) == reader.store.state().chunks
        reader.close()
    ingest([data], settings, embedder=embedder)
    assert check(IndexDir(settings.index_dir)).ok
