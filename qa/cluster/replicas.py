"""Questions over a shard set on Ray Serve: one replica per shard, on a node that holds it.

``qa serve --ray [ADDRESS] --index-dir SET`` (see :func:`serve_shards`): each shard of the set
becomes a Ray Serve application of one :class:`ShardReplica` (no CPU reserved: it searches,
the models stay at the front), pinned by the node-id label to a node on which the shard's
directory is a readable index of the set's model (a probe task on every node looks). The
front is the process that serves the chat and the API: it holds the models, sends each
stage's call to every shard at once through their handles (:class:`RemoteShard` under
:class:`index.ShardedReader`), merges, reranks and reads once. A replica that dies is
restarted by Serve (and by its health check when its index cannot be read); meanwhile the
questions are answered by the other shards and say so. Serve's HTTP proxy is not started:
nothing listens but the front.
"""

from __future__ import annotations

import atexit
import hashlib
import logging
from pathlib import Path

from index import (
    QAError,
    ShardedReader,
    ShardSet,
    ShardSetError,
    check_shard,
    connect_ray,
    open_reader,
    read_shard_set,
    reader_call,
)

log = logging.getLogger(__name__)

READER_METHODS = frozenset({"manifest", "refresh", "dense_search", "keyword_search", "keyword_statistics",
                            "term_frequencies", "similar_terms", "chunks", "chunks_and_sentences", "sentences",
                            "chunk_vectors", "articles", "sources", "facts"})
NODE_LABEL = "ray.io/node-id"
HEALTH_PERIOD_S = 2.0
QUESTION_STARTS = frozenset({"keyword_statistics", "dense_search"})  # a replica follows new generations here


class ShardReplica:
    """A Ray Serve replica: one shard's :class:`index.IndexReader`, its methods by name."""

    def __init__(self, folder: str, model: str):
        self.reader = open_reader(folder, model)

    def call(self, method: str, *args):
        if method not in READER_METHODS:
            raise ValueError(f"a shard replica does not offer {method!r}")
        if method in QUESTION_STARTS:
            self.reader.refresh()  # a stat and one read: the front does not ask it separately
        return reader_call(self.reader, method, *args)

    def check_health(self) -> None:
        """Serve's health check: a replica whose index cannot be read any more is restarted."""
        self.reader.refresh()


class _Pending:
    def __init__(self, response):
        self.response = response

    def result(self, timeout: float):
        return self.response.result(timeout_s=max(timeout, 0.001))


class RemoteShard:
    """A shard behind its Serve handle: ``submit`` starts the call, ``result`` waits for it."""

    refreshes_itself = True  # the replica refreshes when a question starts (ShardReplica.call)

    def __init__(self, name: str, handle):
        self.name, self.handle = name, handle

    def submit(self, method: str, *args) -> _Pending:
        return _Pending(self.handle.call.remote(method, *args))


def _holds(folders: list[str], names: list[str], model: str) -> dict[str, str]:
    """{shard name: "" if this node holds it as a readable index of ``model``, else why not}."""
    found = {}
    for name, folder in zip(names, folders):
        try:
            check_shard(Path(folder).parent, name, Path(folder), model)
            found[name] = ""
        except QAError as exc:
            found[name] = " ".join(str(exc).split())[:200]
    return found


def place(ray, shards: ShardSet) -> dict[str, str]:
    """{shard name: the id of the node its replica runs on}: a node that holds it, fewest shards first."""
    from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

    nodes = [n["NodeID"] for n in ray.nodes() if n.get("Alive")]
    probe = ray.remote(num_cpus=0)(_holds)
    folders, names = [str(f) for f in shards.dirs], list(shards.names)
    answers = ray.get([probe.options(scheduling_strategy=NodeAffinitySchedulingStrategy(node, soft=False))
                       .remote(folders, names, shards.model) for node in nodes], timeout=120)
    placed: dict[str, str] = {}
    load = {node: 0 for node in nodes}
    for name in names:
        holders = [node for node, found in zip(nodes, answers) if found[name] == ""]
        if not holders:
            why = answers[0][name] if answers else "the cluster has no node"
            raise ShardSetError(f"no node of the Ray cluster holds shard {name} of {shards.path} ({why}): put the "
                                "shard's directory at that path on a node, or restore it from a backup")
        chosen = min(holders, key=lambda node: load[node])
        load[chosen] += 1
        placed[name] = chosen
    return placed


def serve_shards(path, address: str, timeout: float) -> ShardedReader:
    """Deploy a replica per shard of the set at ``path`` on the Ray cluster at ``address``
    (``local``: a Ray instance on this machine) and a reader over them; the applications are
    deleted when this process exits."""
    ray, _ = connect_ray(address)
    from ray import serve

    shards = read_shard_set(path)
    placed = place(ray, shards)
    serve.start(http_options={"location": "NoServer"})
    tag = hashlib.blake2b(str(Path(path).resolve()).encode(), digest_size=4).hexdigest()
    backends, apps = [], []
    for name, folder in zip(shards.names, shards.dirs):
        deployment = serve.deployment(
            ShardReplica, name=f"shard-{name}", num_replicas=1, max_ongoing_requests=64,
            health_check_period_s=HEALTH_PERIOD_S, health_check_timeout_s=10,
            ray_actor_options={"num_cpus": 0, "label_selector": {NODE_LABEL: placed[name]}})
        app = f"article-qa-{tag}-{name}"
        handle = serve.run(deployment.bind(str(folder), shards.model), name=app, route_prefix=None)
        apps.append(app)
        backends.append(RemoteShard(name, handle))
        log.info("shard %s served on node %s", name, placed[name][:12])
    atexit.register(_delete, apps)
    return ShardedReader(shards, backends, timeout)


def _delete(apps: list[str]) -> None:
    import ray

    if not ray.is_initialized():  # disconnected already (Serve would start a new local Ray to delete them)
        return
    try:
        from ray import serve

        for app in apps:
            serve.delete(app, _blocking=False)
    except Exception as exc:  # the cluster went first; nothing of ours is left to delete
        log.info("shard applications not deleted: %s", exc)
