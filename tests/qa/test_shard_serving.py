"""A shard set served by Ray Serve on a real two-node cluster the tests start on 127.0.0.1.

The replicas search; the front (this process, or ``qa serve --ray``) holds the models. Every
Ray process stays on loopback (tests/ray_cluster.py); the cluster extra is part of the test
install.
"""

from __future__ import annotations

import importlib.util
import json
import os
import signal
import subprocess
import threading
import time
from pathlib import Path

import httpx
import pytest

from index import IndexSettings, ingest, ingest_set, read_shard_set
from qa.evaluation import first_hit, load_questions
from qa.retriever import Index
from qa.settings import Settings
from tests.conftest import DEMO, answers_tal_rifaat, shared_data
from tests.fakes import HashingEmbedder
from tests.ray_cluster import LOOPBACK_ENV, loopback_cluster
from tests.serving import free_port, served

# Ray is not imported at module level: it reads RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER once, when first imported
pytestmark = [pytest.mark.cluster, pytest.mark.skipif(importlib.util.find_spec("ray") is None,
                                reason="Ray is not installed: pip install -e '.[cluster]' (part of the test install)")]
REPLICA = "ServeReplica:article-qa-.*-shard-01"  # the title Ray gives shard-01's replica process (a regex)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """The head's address; two nodes of one CPU each, on 127.0.0.1."""
    with loopback_cluster(tmp_path_factory.mktemp("ray"), free_port()) as address:
        yield address


@pytest.fixture
def front(cluster, monkeypatch):
    """This process connected to the cluster as a front; disconnected (apps deleted) after."""
    for name, value in LOOPBACK_ENV.items():
        monkeypatch.setenv(name, value)
    yield cluster
    import ray
    from ray import serve

    serve.shutdown()
    ray.shutdown()


def test_four_shards_on_ray_serve_answer_as_one_index(front, tmp_path):
    import ray

    from qa import serve_shards
    from qa.cluster import place

    data = shared_data("realtimeqa-dev")
    embedder, paths = HashingEmbedder(), [data / "articles.jsonl", DEMO]
    settings = Settings(index_dir=tmp_path / "one")
    assert ingest(paths, settings, embedder=embedder).ok
    assert ingest_set(paths, IndexSettings(index_dir=tmp_path / "set"), 4, embedder=embedder).ok
    questions = load_questions(data)
    one = Index.open(settings=settings, embedder=embedder)
    sharded = Index(serve_shards(tmp_path / "set", front, timeout=30), embedder, settings, one.reranker,
                    one.answerer)
    nodes = place(ray, read_shard_set(tmp_path / "set"))
    assert sorted(list(nodes.values()).count(n) for n in set(nodes.values())) == [2, 2]  # both nodes serve
    same, ranks = 0, {"one": [], "set": []}
    for q in questions:
        a, b = one.ask(q["question"], k=10), sharded.ask(q["question"], k=10)
        assert b.partial is None
        same += (a.passages[0].article_id, a.passages[0].span) == (b.passages[0].article_id, b.passages[0].span)
        ranks["one"].append(first_hit([p.text for p in a.passages], q["answers"]))
        ranks["set"].append(first_hit([p.text for p in b.passages], q["answers"]))
    n = len(questions)
    assert same >= 0.98 * n, f"{n - same} of {n} questions changed passage 1"
    for cut in (1,):
        r_one = sum(r is not None and r <= cut for r in ranks["one"]) / n
        r_set = sum(r is not None and r <= cut for r in ranks["set"]) / n
        assert abs(r_one - r_set) <= 0.005
    mrr = {k: sum(1 / r for r in v if r) / n for k, v in ranks.items()}
    assert abs(mrr["one"] - mrr["set"]) <= 0.005
    assert [a.id for a in one.articles()] == [a.id for a in sharded.articles()]
    one.close()


@pytest.mark.model
def test_a_killed_replica_leaves_answers_partial_then_whole(cluster, tmp_path, real_embedder):
    shards = tmp_path / "set"
    assert ingest_set([DEMO], IndexSettings(index_dir=shards), 4, embedder=real_embedder).ok
    env = {**os.environ, **LOOPBACK_ENV, "QA_SHARD_TIMEOUT": "1", "HF_HUB_OFFLINE": "1"}
    with served(env, tmp_path / "serve.log", "--ray", cluster, "--index-dir", str(shards)) as url:
        first = search(url, "who holds Tal Rifaat?")
        assert first["partial"] is None and answers_tal_rifaat(first["lead"])
        results: list = []
        stop = threading.Event()

        def ask() -> None:  # a user asking, one question after another, for at most 60 s
            deadline = time.monotonic() + 60
            while not stop.is_set() and time.monotonic() < deadline:
                try:
                    results.append(search(url, "who holds Tal Rifaat?"))
                except Exception as exc:  # a 5xx or a broken stream: what must not happen
                    results.append(exc)

        asker = threading.Thread(target=ask)
        asker.start()
        time.sleep(1)
        victims = pids(REPLICA)
        assert len(victims) == 1, victims
        os.kill(victims[0], signal.SIGKILL)
        killed_at = len(results)
        deadline = time.monotonic() + 45
        while time.monotonic() < deadline:  # whole again once Serve has restarted the replica
            time.sleep(0.5)
            after = [r for r in results[killed_at:] if isinstance(r, dict)]
            if any(r["partial"] for r in after) and after and after[-1]["partial"] is None:
                break
        stop.set()
        asker.join(timeout=90)
    errors = [r for r in results if not isinstance(r, dict)]
    assert not errors, errors[:3]
    partial = [r["partial"] for r in results[killed_at:] if r["partial"]]
    assert partial and all(p.startswith("3 of 4 shards answered (shard-01: ") for p in partial), partial[:3]
    assert results[-1]["partial"] is None and answers_tal_rifaat(results[-1]["lead"]) or \
        not answers_tal_rifaat(first["lead"])
    assert pids(REPLICA), "Serve did not restart the replica"


def search(url: str, question: str) -> dict:
    """``/search`` as an API client calls it (Gradio's two requests); raises on a non-200."""
    start = httpx.post(f"{url}gradio_api/call/search", json={"data": [question, 3, "", "", [], "relevance"]},
                       timeout=30)
    start.raise_for_status()
    with httpx.stream("GET", f"{url}gradio_api/call/search/{start.json()['event_id']}", timeout=30) as stream:
        stream.raise_for_status()
        body = "".join(stream.iter_text())
    events = [line.removeprefix("event: ") for line in body.splitlines() if line.startswith("event: ")]
    data = [line.removeprefix("data: ") for line in body.splitlines() if line.startswith("data: ")]
    if events[-1] != "complete":
        raise RuntimeError(f"/search ended with {events[-1]}: {data[-1][:200]}")
    return json.loads(data[-1])[0]


def pids(title: str) -> list[int]:
    found = subprocess.run(["pgrep", "-f", title], capture_output=True, text=True).stdout.split()
    return [int(pid) for pid in found]


def test_serve_ray_refuses_what_is_not_a_shard_set(tmp_path):
    run = subprocess.run([str(Path(os.sys.executable).with_name("qa")), "serve", "--ray", "--index-dir",
                          str(tmp_path)], capture_output=True, text=True, timeout=60)
    assert run.returncode != 0 and "is not one: serve it without --ray" in run.stderr, run.stderr
