"""Ingest on a Ray cluster: read, parse, chunk and encode there; store here.

The files are read and parsed by Ray Data tasks (one file per task), articles whose id
and content hash the index already holds are dropped right after parsing (the index's
(id, hash) pairs travel once, as a sorted array of 8-byte digests), and the rest are
chunked and encoded by actors that each load the model once, with the cores Ray gives
them. The encoded articles stream back, in file order, to this process: the one writer,
which plans and commits generations exactly as a local ingest does (same duplicate and
twin checks, same batches, same crash safety). The embedding cache stays in the index
directory: an actor on this machine serves it to the encoders, which embed only what it
does not hold. A killed encoder is restarted by Ray and its batch retried.

Ray is optional (``pip install -e '.[cluster]'``); nothing here imports it until asked.
"""

from __future__ import annotations

import hashlib
import logging
import os
import socket
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from index.directory import Addition, IndexDir
from index.embed import CachedEmbedder, Embedder, EmbeddingCache, load_embedder
from index.errors import ArticleError, ClusterError
from index.formats import JsonlFields
from index.ingestion.pipeline import BATCH_CHARS, batches, commit, encode, plan, read_all, write_index
from index.reports import IngestReport, Notice
from index.settings import IndexSettings
from index.text import Chunker, get_encoding

log = logging.getLogger(__name__)

LOCAL = "local"  # start a Ray instance on this machine for the ingest
ARTICLES_PER_CALL = 8  # articles an encoder takes at a time (a retry after a crash redoes at most these)
CONNECT_TIMEOUT_S = 5.0
PARSERS = 2  # files read and parsed at once across the cluster


def ingest_on_cluster(files: Sequence[Path], settings: IndexSettings, report: IngestReport, *, address: str,
                      model: Embedder | str, fields: JsonlFields | None = None, rebuild: bool = False,
                      progress: bool = False, batch_chars: int = BATCH_CHARS,
                      keep: Callable[[str], bool] | None = None) -> IngestReport:
    """Ingest ``files`` through the Ray cluster at ``address`` (``local``, ``auto`` or host:port).

    ``model`` is what each encoder loads: a model name, or a picklable embedder object. This
    process loads it too, for the index's identity (model id, dimension, longest input).
    """
    ray, connected_here = connect(address)
    try:
        embedder = load_embedder(model, settings.offline, settings.device) if isinstance(model, str) else model
        index_dir = IndexDir(settings.index_dir)
        with index_dir.write_lock():
            def store(writer, _cache: EmbeddingCache) -> None:
                here = ray.util.scheduling_strategies.NodeAffinitySchedulingStrategy(
                    ray.get_runtime_context().get_node_id(), soft=False)
                cache = ray.remote(_CacheServer).options(num_cpus=0, scheduling_strategy=here).remote(
                    str(index_dir.cache_path))
                pooled = writer.manifest.sentence_vectors == "pooled"
                known = np.zeros(0, dtype=np.uint64) if rebuild else _known(writer)
                _store(_pipeline(ray, files, settings, fields, model, cache, known, pooled, keep), writer, report,
                       batch_chars, progress)
                report.warnings += [Notice(str(index_dir.cache_path), note) for note in ray.get(cache.notes.remote())]

            return write_index(index_dir, settings, report, embedder, store, rebuild=rebuild)
    finally:
        if connected_here:
            ray.shutdown()


def connect(address: str):
    """(the ``ray`` module connected to the cluster at ``address``, whether this call connected
    it); a clear error if it cannot be. A caller already connected keeps its connection."""
    try:
        import ray
    except ImportError:
        raise ClusterError("Ray is not installed: install the cluster extra with "
                           "`pip install -e '.[cluster]'` (or `pip install 'ray[data]'`)") from None
    if ray.is_initialized():
        return ray, False
    if address not in (LOCAL, "auto"):
        _reachable(address)
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    # the C++ core's own warnings (e.g. on actor arguments kept in the object store) would
    # interleave with the progress bar; its errors still surface as Python exceptions
    os.environ.setdefault("RAY_BACKEND_LOG_LEVEL", "fatal")
    try:
        ray.init(address=None if address == LOCAL else address, logging_level=logging.WARNING,
                 log_to_driver=False, include_dashboard=False if address == LOCAL else None)
    except (ConnectionError, RuntimeError, ValueError) as exc:
        raise ClusterError(f"cannot connect to the Ray cluster at {address}: {' '.join(str(exc).split())[:200]} "
                           "(start one with `ray start --head`, or give its address as host:port)") from None
    context = ray.data.DataContext.get_current()
    logging.getLogger("ray.data").setLevel(logging.WARNING)
    context.enable_progress_bars = False
    context.execution_options.preserve_order = True  # the same order, so the same index, as a local ingest
    return ray, True


def _reachable(address: str) -> None:
    host, _, port = address.removeprefix("ray://").rpartition(":")
    if not host or not port.isdigit():
        raise ClusterError(f"Ray address {address!r} is not host:port: give the head node's address "
                           "(e.g. 10.0.0.5:6379, [::1]:6379), `auto`, or no address to start a local cluster")
    if not 0 < int(port) < 65536:
        raise ClusterError(f"Ray address {address!r}: port {port} is not a TCP port (1-65535); the head's GCS "
                           "port is 6379 unless `ray start --head --port` said otherwise")
    host = host[1:-1] if host.startswith("[") and host.endswith("]") else host  # an IPv6 literal, as in a url
    try:
        with socket.create_connection((host, int(port)), timeout=CONNECT_TIMEOUT_S) as probe:
            reply = _grpc_reply(probe)
    except OSError as exc:
        raise ClusterError(f"cannot reach the Ray cluster at {address}: {exc.strerror or exc} "
                           "(is `ray start --head` running there, and is the port open?)") from None
    if reply is not None:  # Ray would wait minutes on a port that is not its own
        raise ClusterError(f"{address} answers, but not as a Ray cluster ({reply}): give the address "
                           "`ray start --head` printed (the head's GCS port, 6379 by default)")


# HTTP/2's client preface and an empty SETTINGS frame: a gRPC server (Ray's GCS, the Ray
# Client server) answers with a SETTINGS frame of its own
_HTTP2_PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + b"\x00\x00\x00\x04\x00\x00\x00\x00\x00"


def _grpc_reply(probe: socket.socket) -> str | None:
    """None when the peer answers HTTP/2 as gRPC servers do, else what it did instead."""
    try:
        probe.sendall(_HTTP2_PREFACE)
        head = b""
        while len(head) < 9:
            data = probe.recv(9 - len(head))
            if not data:
                break
            head += data
    except TimeoutError:
        return f"no reply within {CONNECT_TIMEOUT_S:g} s"
    except OSError as exc:
        return f"the connection failed: {exc.strerror or exc}"
    if len(head) >= 4 and head[3] == 0x04:
        return None
    if not head:
        return "it closed the connection"
    return f"it answered {head.decode('latin-1')!r}..., not gRPC's HTTP/2"


def _known(writer) -> np.ndarray:
    """The index's articles as sorted 8-byte digests of (id, content hash)."""
    digests = [_digest(i, h) for i, h in writer.store.iterate("SELECT id, content_hash FROM articles")]
    return np.sort(np.array(digests, dtype=np.uint64))


def _digest(article_id: str, content_hash: str) -> int:
    return int.from_bytes(hashlib.blake2b(f"{article_id}\x00{content_hash}".encode(), digest_size=8).digest(), "little")


def _pipeline(ray, files, settings, fields, model, cache, known: np.ndarray, pooled: bool,
              keep: Callable[[str], bool] | None = None):
    """Rows of (kind, item) in file order: ``added`` Additions, ``failed`` / ``notice`` /
    ``unchanged`` tuples, and ``stats`` (texts embedded, reused) per encoder call."""
    cpus = max(1, int(settings.ray_actor_cpus))
    actors = max(1, int(ray.cluster_resources().get("CPU", 1) // cpus))
    dataset = (
        ray.data.from_items([{"path": str(f)} for f in files], override_num_blocks=max(1, len(files)))
        .flat_map(_parse, fn_kwargs={"fields": fields, "max_bytes": settings.max_file_bytes,
                                     "known": known, "keep": keep},
                  # reading is light next to encoding: a CPU of its own would leave an encoder out, and
                  # without a bound Ray starts a worker process per waiting file
                  num_cpus=0, compute=ray.data.TaskPoolStrategy(size=PARSERS))
        .map_batches(_Encoder, batch_size=ARTICLES_PER_CALL, batch_format="pandas",
                     compute=ray.data.ActorPoolStrategy(size=actors), num_cpus=cpus,  # restarted when killed
                     fn_constructor_kwargs={"model": model, "settings": settings, "cache": cache, "pooled": pooled,
                                            "threads": cpus})
    )
    for row in dataset.iter_rows():
        yield row["kind"], row["item"]


def _parse(row, *, fields, max_bytes: int, known: np.ndarray,
           keep: Callable[[str], bool] | None = None) -> Iterator[dict]:
    """One file's articles (a Ray task), read as a local ingest reads them: unchanged ones
    named only; the file's failures and notes after its articles, as tuples."""
    report = IngestReport()
    for article in read_all([Path(row["path"])], fields, max_bytes, report):
        if keep is not None and not keep(article.id):
            continue  # another shard's
        digest = np.uint64(_digest(article.id, article.content_hash))
        at = int(np.searchsorted(known, digest))
        if at < len(known) and known[at] == digest:
            yield {"kind": "unchanged", "item": (article.id,)}
        else:
            yield {"kind": "article", "item": article}
    for failure in report.failed:
        yield {"kind": "failed", "item": (failure.source, failure.reason, failure.line)}
    for notice in report.warnings:
        yield {"kind": "notice", "item": (notice.source, notice.reason)}


class _Encoder:
    """A Ray actor: chunks and embeds articles with a model it loads once."""

    def __init__(self, model, settings: IndexSettings, cache, pooled: bool, threads: int):
        inner = load_embedder(model, settings.offline, settings.device, threads) if isinstance(model, str) else model
        self.embedder = CachedEmbedder(inner, _RemoteCache(cache))
        self.chunker = Chunker(get_encoding(settings.encoding), settings.chunk_tokens, settings.chunk_overlap,
                               inner.count_tokens, inner.max_seq_length)
        self.batch_size = settings.batch_size
        self.pooled = pooled

    def __call__(self, batch):
        import pandas as pd

        articles = [item for kind, item in zip(batch["kind"], batch["item"]) if kind == "article"]
        failed: list[ArticleError] = []
        before = (self.embedder.embedded, self.embedder.reused)
        additions = encode(articles, self.chunker, self.embedder, self.batch_size, failed, self.pooled)
        done = {id(a.article): a for a in additions}
        rows = []
        for kind, item in zip(batch["kind"], batch["item"]):  # in the order they came
            if kind != "article":
                rows.append((kind, item))
            elif id(item) in done:
                rows.append(("added", done[id(item)]))
        rows += [("failed", (f.source, f.reason, f.line)) for f in failed]
        rows.append(("stats", (self.embedder.embedded - before[0], self.embedder.reused - before[1])))
        return pd.DataFrame({"kind": [k for k, _ in rows], "item": [i for _, i in rows]})


class _CacheServer:
    """A Ray actor on the writer's machine holding the index's embedding cache."""

    def __init__(self, path: str):
        self.cache = EmbeddingCache(Path(path))

    def get(self, model: str, hashes: Sequence[bytes]) -> dict[bytes, np.ndarray]:
        return self.cache.get(model, hashes)

    def put(self, model: str, hashes: Sequence[bytes], vectors: np.ndarray) -> None:
        self.cache.put(model, hashes, vectors)

    def notes(self) -> list[str]:
        return list(self.cache.notes)


class _RemoteCache:
    """The :class:`EmbeddingCache` interface over a :class:`_CacheServer` actor."""

    def __init__(self, server):
        self.server = server

    def get(self, model: str, hashes: Sequence[bytes]) -> dict[bytes, np.ndarray]:
        import ray

        return ray.get(self.server.get.remote(model, list(hashes)))

    def put(self, model: str, hashes: Sequence[bytes], vectors: np.ndarray) -> None:
        import ray

        ray.get(self.server.put.remote(model, list(hashes), vectors))


def _store(rows, writer, report: IngestReport, batch_chars: int, progress: bool) -> None:
    """Plan and commit the encoded articles as they arrive, as a local ingest does."""
    started = time.perf_counter()
    bar = tqdm(unit=" articles", disable=not progress, desc="ingest (ray)")
    encoded = 0  # chunks that came back encoded

    def additions() -> Iterator[Addition]:
        nonlocal encoded
        for kind, item in rows:
            if kind == "added":
                encoded += len(item.chunked.chunks)
                bar.update(1)
                bar.set_postfix_str(f"{encoded / max(time.perf_counter() - started, 1e-9):.1f} chunks/s")
                yield item
            elif kind == "failed":
                report.failed.append(ArticleError(*item))
            elif kind == "notice":
                report.warnings.append(Notice(*item))
            elif kind == "unchanged":
                report.unchanged.append(item[0])
            elif kind == "stats":
                report.embedded += int(item[0])
                report.reused += int(item[1])

    with bar:
        for batch in batches(plan(additions(), writer, report, lambda a: a.article), batch_chars,
                             lambda a: a.article):
            commit(writer, [a for a, _ in batch], {a.article.id for a, replaces in batch if replaces}, report)
