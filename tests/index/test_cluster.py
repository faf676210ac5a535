"""`qa ingest --ray` against a real two-node Ray cluster the tests start on 127.0.0.1.

The head and a second node (one CPU each, no dashboard) run as ``ray start --block``
processes of this module, stopped at its end; every Ray process stays on loopback (see
tests/ray_cluster.py). The cluster extra is part of the test install.
"""

from __future__ import annotations

import importlib.util
import os
import signal
import sqlite3
import subprocess
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from index import open_reader
from index.ingestion import ingest
from qa.settings import Settings
from tests.conftest import DEMO
from tests.fakes import HashingEmbedder
from tests.ray_cluster import LOOPBACK_ENV, loopback_cluster
from tests.serving import QA, free_port

# Ray is not imported here: it reads RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER once, when first imported (driver_env)
pytestmark = [pytest.mark.cluster, pytest.mark.skipif(importlib.util.find_spec("ray") is None,
                                reason="Ray is not installed: pip install -e '.[cluster]' (part of the test install)")]
ENCODER = r"MapWorker\(MapBatches\(_Encoder\)\)"  # the title Ray gives an encoding actor's process (a regex)


class SlowHashingEmbedder(HashingEmbedder):
    """The hashing embedder, 20 ms per text: an ingest lasts long enough to kill a worker in."""

    def embed(self, texts, batch_size: int = 32):
        time.sleep(0.02 * len(texts))
        return super().embed(texts, batch_size)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """The head's address; two nodes of one CPU each, on 127.0.0.1."""
    with loopback_cluster(tmp_path_factory.mktemp("ray"), free_port()) as address:
        yield address


@pytest.fixture
def driver_env(monkeypatch):
    for name, value in LOOPBACK_ENV.items():
        monkeypatch.setenv(name, value)


def contents(path: Path) -> dict:
    """Articles, chunks, sentence spans and all vectors of an index, keyed by article."""
    db = sqlite3.connect(path / "articles.sqlite")
    articles = {row[0]: row[1:] for row in db.execute(
        "SELECT id, title, text, url, published, byline, source, content_hash FROM articles")}
    chunk_rows = db.execute("SELECT id, article_id, ord, start, end, text FROM chunks ORDER BY article_id, ord")
    chunk_rows = chunk_rows.fetchall()
    db.close()
    reader = open_reader(path)
    try:
        ids = [r[0] for r in chunk_rows]
        vectors = reader.chunk_vectors(ids)
        rows = reader.chunks(ids)
        sentences = reader.sentences([rows[i] for i in ids])
    finally:
        reader.close()
    chunks = {}
    for (chunk_id, article, ord_, start, end, text), vector in zip(chunk_rows, vectors):
        spans, sentence_vectors = sentences[chunk_id]
        chunks[(article, ord_)] = (start, end, text, spans, vector, sentence_vectors)
    return {"articles": articles, "chunks": chunks}


def assert_same_index(ours: dict, theirs: dict, tolerance: float) -> None:
    assert ours["articles"] == theirs["articles"]
    assert ours["chunks"].keys() == theirs["chunks"].keys()
    for key, (start, end, text, spans, vector, sentence_vectors) in ours["chunks"].items():
        other = theirs["chunks"][key]
        assert (start, end, text, spans) == other[:4], key
        assert np.abs(vector - other[4]).max() <= tolerance, key
        # stored in 4 bits: a last-digit difference may round a component one step the other way
        cosines = np.sum(sentence_vectors * other[5], axis=1) / (
            np.linalg.norm(sentence_vectors, axis=1) * np.linalg.norm(other[5], axis=1))
        assert cosines.min() >= 0.99, key


@pytest.mark.model
def test_qa_ingest_ray_builds_the_index_a_local_ingest_builds(cluster, tmp_path, real_embedder):
    local = Settings(index_dir=tmp_path / "local")
    assert ingest([DEMO], local, embedder=real_embedder).ok
    env = {**os.environ, **LOOPBACK_ENV}
    run = subprocess.run([QA, "ingest", "-q", "--index-dir", str(tmp_path / "ray"), "--ray", cluster, str(DEMO)],
                         capture_output=True, text=True, env=env, timeout=300)
    assert run.returncode == 0, run.stderr
    assert run.stdout.startswith("7 added, 0 updated, 0 unchanged"), run.stdout
    assert_same_index(contents(tmp_path / "ray"), contents(tmp_path / "local"), tolerance=1e-4)

    again = subprocess.run([QA, "ingest", "-q", "--index-dir", str(tmp_path / "ray"), "--ray", cluster, str(DEMO)],
                           capture_output=True, text=True, env=env, timeout=300)
    assert again.stdout.startswith("0 added, 0 updated, 7 unchanged"), again.stdout
    assert "0 texts embedded" in again.stdout
    check = subprocess.run([QA, "check", "--index-dir", str(tmp_path / "ray")], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr


def _articles(folder: Path, n: int) -> Path:
    folder.mkdir()
    words = " ".join(p.read_text() for p in sorted(DEMO.iterdir())).split()
    for i in range(n):
        body = " ".join(words[(i * 37) % len(words):] + words[: (i * 37) % len(words)])
        (folder / f"article-{i:03}.md").write_text(f"# Report number {i}\n\n{body}\n")
    (folder / "empty.md").write_text("")
    return folder


def test_a_killed_encoder_costs_a_retry_not_the_ingest(cluster, tmp_path, driver_env):
    folder = _articles(tmp_path / "articles", 16)
    expected = ingest([folder], Settings(index_dir=tmp_path / "local"), embedder=HashingEmbedder())
    settings = Settings(index_dir=tmp_path / "ray")
    result: dict = {}

    def run() -> None:
        try:
            result["report"] = ingest([folder], settings, embedder=SlowHashingEmbedder(), ray=cluster)
        except BaseException as exc:  # handed to the test's thread
            result["error"] = exc

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    victim = None
    deadline = time.monotonic() + 120
    while victim is None and time.monotonic() < deadline and thread.is_alive():
        encoders = _pids(ENCODER)
        if len(encoders) == 2:
            time.sleep(1)  # both are encoding by now
            victim = encoders[0]
            os.kill(victim, signal.SIGKILL)
        time.sleep(0.2)
    thread.join(timeout=300)
    assert victim is not None, "no encoding actor was seen"
    assert "error" not in result, result.get("error")
    report = result["report"]
    assert sorted(report.added) == sorted(expected.added) and len(report.added) == 16
    assert report.chunks == expected.chunks and report.sentences == expected.sentences
    assert sorted(map(str, report.failed)) == sorted(map(str, expected.failed))  # the empty file, named
    assert len(report.failed) == 1
    assert_same_index(contents(tmp_path / "ray"), contents(tmp_path / "local"), tolerance=1e-6)


def _pids(title: str) -> list[int]:
    found = subprocess.run(["pgrep", "-f", title], capture_output=True, text=True).stdout.split()
    return [int(pid) for pid in found]


def test_an_unreachable_cluster_is_one_line_naming_it(tmp_path):
    port = free_port()
    run = subprocess.run([QA, "ingest", "--index-dir", str(tmp_path / "i"), "--ray", f"127.0.0.1:{port}", str(DEMO)],
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 1
    assert run.stderr.strip().count("\n") == 0
    assert f"cannot reach the Ray cluster at 127.0.0.1:{port}" in run.stderr
    bad = subprocess.run([QA, "ingest", "--index-dir", str(tmp_path / "i"), "--ray", "nowhere", str(DEMO)],
                         capture_output=True, text=True, timeout=60)
    assert "Ray address 'nowhere' is not host:port" in bad.stderr
    v6 = subprocess.run([QA, "ingest", "--index-dir", str(tmp_path / "i"), "--ray", f"[::1]:{port}", str(DEMO)],
                        capture_output=True, text=True, timeout=60)  # the IPv6 literal in brackets, as in a url
    assert f"cannot reach the Ray cluster at [::1]:{port}: Connection refused" in v6.stderr, v6.stderr
    far = subprocess.run([QA, "ingest", "--index-dir", str(tmp_path / "i"), "--ray", "127.0.0.1:99999", str(DEMO)],
                         capture_output=True, text=True, timeout=60)
    assert "port 99999 is not a TCP port (1-65535)" in far.stderr, far.stderr
    assert not (tmp_path / "i").exists()


def test_a_live_port_that_is_not_ray_is_refused_in_seconds(tmp_path):
    """A web server and a silent listener on 127.0.0.1: `--ray` at either says so within the
    probe's 5 s instead of Ray's own minutes-long wait."""
    import socket
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    web = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    silent = socket.create_server(("127.0.0.1", 0))
    threading.Thread(target=web.serve_forever, daemon=True).start()
    try:
        for port, why in ((web.server_address[1], "it answered '<!DOCTYPE'..., not gRPC's HTTP/2"),
                          (silent.getsockname()[1], "no reply within 5 s")):
            started = time.monotonic()
            run = subprocess.run([QA, "ingest", "--index-dir", str(tmp_path / "i"), "--ray", f"127.0.0.1:{port}",
                                  str(DEMO)], capture_output=True, text=True, timeout=60)
            assert run.returncode == 1 and run.stderr.strip().count("\n") == 0, run.stderr
            assert f"127.0.0.1:{port} answers, but not as a Ray cluster ({why})" in run.stderr, run.stderr
            assert time.monotonic() - started < 20
    finally:
        web.shutdown()
        web.server_close()
        silent.close()
    assert not (tmp_path / "i").exists()


