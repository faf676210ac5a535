"""One reader over a shard set: every call goes to all shards at once, and the answers merge.

:class:`ShardedReader` offers what :class:`index.IndexReader` offers, so the question's
stages (qa/search) run over a shard set unchanged: dense and keyword search ask every shard
for its best ``n`` and keep the best ``n`` of all (cosines compare across shards, the model
is one; BM25 with the whole set's idf: each shard weighs a term by the set's idf over its
own, so the keyword scores compare too); rows, sentences and vectors of given chunks are
asked of the shards that hold them.
A chunk's id over the set is ``local id * MAX_SHARDS + shard``.

Each shard is a *backend*: ``submit(method, *args)`` returns something with
``result(timeout)``. :class:`LocalShard` runs the calls on a thread pool over an
:class:`IndexReader` of this machine; qa's Ray Serve handles are another kind. Calls share one
deadline (``timeout`` seconds). Inside :meth:`ShardedReader.question`, a shard that fails or
misses it is left out for the rest of the question and named in its :class:`Coverage`; the
other shards answer. Outside a question (listing articles, facts), it is an error.
"""

from __future__ import annotations

import contextvars
import logging
import math
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from index.directory import Coverage, Facts, IndexReader, open_reader
from index.errors import IndexMismatchError, ShardSetError
from index.shards.shardset import MAX_SHARDS, ShardSet, check_shards, is_shard_set, read_shard_set
from index.store import ArticleSummary, ChunkRow, Filter

log = logging.getLogger(__name__)

SHARD_TIMEOUT_S = 2.0  # a shard's answer to one call of a question (qa's setting shard_timeout)
_question: contextvars.ContextVar[Coverage | None] = contextvars.ContextVar("shard_coverage", default=None)


def reader_call(reader: IndexReader, method: str, *args):
    """``reader.method(*args)``, or the attribute's value (``manifest``)."""
    found = getattr(reader, method)
    return found(*args) if callable(found) else found


class LocalShard:
    """A shard on this machine: its reader, called on a shared thread pool."""

    def __init__(self, name: str, reader: IndexReader, pool: ThreadPoolExecutor):
        self.name, self.reader, self.pool = name, reader, pool

    def submit(self, method: str, *args):
        return self.pool.submit(reader_call, self.reader, method, *args)

    def close(self) -> None:
        self.reader.close()


@dataclass(frozen=True)
class SetPlace:
    path: Path  # what IndexReader.dir offers to qa: where the index is


class ShardedReader:
    """The shards of ``shards`` through ``backends`` (one per shard, in order)."""

    def __init__(self, shards: ShardSet, backends: Sequence, timeout: float = SHARD_TIMEOUT_S,
                 pool: ThreadPoolExecutor | None = None):
        self.shards, self.backends, self.timeout, self._pool = shards, list(backends), timeout, pool
        self.dir = SetPlace(shards.path)
        self.count = shards.count
        self.manifest = self._all("manifest")[0]

    # -- fan-out -------------------------------------------------------------------------

    def _all(self, method: str, per_shard: dict[int, tuple] | None = None, *args) -> dict[int, object]:
        """{shard: its answer} of every shard (or those in ``per_shard``, each with its own args)."""
        coverage = _question.get()
        wanted = range(self.count) if per_shard is None else per_shard
        pending = {i: self.backends[i].submit(method, *(args if per_shard is None else per_shard[i]))
                   for i in wanted if coverage is None or self.shards.names[i] not in coverage.missing}
        deadline = time.monotonic() + self.timeout
        answers = {}
        for i, call in pending.items():
            name = self.shards.names[i]
            try:
                answers[i] = call.result(max(0.0, deadline - time.monotonic()))
            except Exception as exc:  # a shard down, slow or broken
                reason = _reason(exc, self.timeout)
                if coverage is None:
                    raise ShardSetError(f"shard {name} of {self.shards.path} did not answer ({reason}): check "
                                        f"it with `qa check --index-dir {self.shards.path / name}`") from exc
                log.warning("shard %s left out of this question: %s", name, reason)
                coverage.missing[name] = reason
        if coverage is not None and pending and not answers:
            raise ShardSetError(f"no shard of {self.shards.path} answered ({coverage.note}): check the set "
                                f"with `qa check --index-dir {self.shards.path}`")
        return answers

    def _by_shard(self, ids: Sequence[int]) -> dict[int, list[int]]:
        grouped: dict[int, list[int]] = {}
        for gid in ids:
            grouped.setdefault(gid % MAX_SHARDS, []).append(gid // MAX_SHARDS)
        return grouped

    @contextmanager
    def question(self) -> Iterator[Coverage]:
        """One question: shards that fail are left out of it and named in the coverage."""
        coverage = Coverage(self.count)
        token = _question.set(coverage)
        try:
            yield coverage
        finally:
            _question.reset(token)

    # -- what IndexReader offers -----------------------------------------------------------

    def close(self) -> None:
        for backend in self.backends:
            close = getattr(backend, "close", None)
            if close is not None:
                close()
        if self._pool is not None:
            self._pool.shutdown(wait=False)

    def refresh(self) -> bool:
        """Follow new generations; a served shard refreshes itself when a question starts there."""
        local = {i: () for i, b in enumerate(self.backends) if not getattr(b, "refreshes_itself", False)}
        return any(self._all("refresh", local).values()) if local else False

    def check_model(self, model_id: str) -> None:
        if model_id != self.shards.model:
            raise IndexMismatchError(
                f"the shard set at {self.shards.path} was built with model {self.shards.model!r}, but the "
                f"settings ask for {model_id!r}: use --model {self.shards.model} (or QA_MODEL={self.shards.model})")

    def dense_search(self, vector: np.ndarray, n: int, where: Filter | None = None) -> dict[int, float]:
        return self._best(self._all("dense_search", None, vector, n, where), n)

    def keyword_search(self, terms: Sequence[str], n: int, where: Filter | None = None) -> dict[int, float]:
        """BM25 as one index of all the shards' passages would score it: each shard weighs a
        term's part by the set's idf over its own (the average passage length, BM25's other
        statistic, is left per shard: a hash spreads passages evenly)."""
        terms = list(dict.fromkeys(terms))
        counts = self._statistics(terms)
        total = sum(docs for _, docs in counts.values())
        everywhere = {t: sum(found.get(t, 0) for found, _ in counts.values()) for t in terms}
        weights = {}
        for shard, (found, docs) in counts.items():
            weights[shard] = {t: _idf(everywhere[t], total) / _idf(found[t], docs)
                              for t in terms if found.get(t) and docs}
        return self._best(self._all("keyword_search", {s: (terms, n, where, weights[s]) for s in counts}), n)

    def _statistics(self, terms: list[str]) -> dict[int, tuple[dict[str, int], int]]:
        """{shard: ({term: passages holding it}, passages)}; within a question, each term is
        asked of the shards once (the question's analysis asks first: term_frequencies)."""
        coverage = _question.get()
        known: dict[int, tuple[dict[str, int], int]] = coverage.memo.setdefault("statistics", {}) if coverage \
            else {}
        asked = {t for found, _ in known.values() for t in found} if known else set()
        missing = [t for t in terms if t not in asked]
        if missing or not known:
            for shard, (found, docs) in self._all("keyword_statistics", None, missing).items():
                before = known.get(shard, ({}, docs))[0]
                known[shard] = ({**before, **found}, docs)
        names = self.shards.names
        return {s: v for s, v in known.items() if coverage is None or names[s] not in coverage.missing}

    def _best(self, answers: dict[int, dict[int, float]], n: int) -> dict[int, float]:
        merged = [(local * MAX_SHARDS + shard, score) for shard, found in answers.items()
                  for local, score in found.items()]
        merged.sort(key=lambda pair: -pair[1])
        return dict(merged[:n])

    def term_frequencies(self, terms: Sequence[str]) -> tuple[dict[str, int], int]:
        found: dict[str, int] = {}
        total = 0
        for frequencies, chunks in self._statistics(list(dict.fromkeys(terms))).values():
            total += chunks
            for term in terms:
                if frequencies.get(term):
                    found[term] = found.get(term, 0) + frequencies[term]
        return found, total

    def similar_terms(self, term: str) -> list[str]:
        answers = self._all("similar_terms", None, term)
        return list(dict.fromkeys(t for shard in sorted(answers) for t in answers[shard]))

    def chunks(self, ids: Sequence[int]) -> dict[int, ChunkRow]:
        """Rows by id; within a question their sentences come along (the next stage asks for them)."""
        args = {shard: (local,) for shard, local in self._by_shard(ids).items()}
        coverage = _question.get()
        if coverage is None:
            answers = self._all("chunks", args)
        else:
            both = self._all("chunks_and_sentences", args)
            answers = {shard: found for shard, (found, _) in both.items()}
            known = coverage.memo.setdefault("sentences", {})
            for shard, (_, spans) in both.items():
                known.update({local * MAX_SHARDS + shard: value for local, value in spans.items()})
        rows = {row.id * MAX_SHARDS + shard: row for shard, found in answers.items() for row in found.values()}
        return {gid: replace(rows[gid], id=gid) for gid in ids if gid in rows}

    def sentences(self, rows: Sequence[ChunkRow]) -> dict[int, tuple[list[tuple[int, int]], np.ndarray]]:
        coverage = _question.get()
        known = coverage.memo.get("sentences", {}) if coverage is not None else {}
        found = {row.id: known[row.id] for row in rows if row.id in known}
        grouped: dict[int, list[ChunkRow]] = {}
        for row in rows:
            if row.id not in found:
                grouped.setdefault(row.id % MAX_SHARDS, []).append(replace(row, id=row.id // MAX_SHARDS))
        if grouped:
            answers = self._all("sentences", {shard: (local,) for shard, local in grouped.items()})
            found.update({local * MAX_SHARDS + shard: value for shard, spans in answers.items()
                          for local, value in spans.items()})
        return found

    def chunk_vectors(self, ids: Sequence[int]) -> np.ndarray:
        ids = list(ids)
        grouped = self._by_shard(ids)
        answers = self._all("chunk_vectors", {shard: (local,) for shard, local in grouped.items()})
        out = np.zeros((len(ids), self.manifest.dimension), dtype=np.float32)
        rows = {}
        for shard, vectors in answers.items():
            rows.update({local * MAX_SHARDS + shard: v for local, v in zip(grouped[shard], vectors)})
        for at, gid in enumerate(ids):
            if gid in rows:  # a shard left out of the question: its chunks score 0
                out[at] = rows[gid]
        return out

    def articles(self) -> list[ArticleSummary]:
        answers = self._all("articles")
        found = [a for shard in sorted(answers) for a in answers[shard]]
        found.sort(key=lambda a: a.title)
        found.sort(key=lambda a: a.published or "", reverse=True)
        return [a for a in found if a.published] + [a for a in found if not a.published]

    def sources(self) -> list[str]:
        answers = self._all("sources")
        return sorted({s for found in answers.values() for s in found}, key=str.lower)

    def facts(self, quick_check: bool = False) -> Facts:
        parts: list[Facts] = list(self._all("facts", None, quick_check).values())
        counts = {k: sum(f.counts.get(k, 0) for f in parts) for k in parts[0].counts}
        sizes = {k: sum((f.sizes or {}).get(k, 0) for f in parts) for k in (parts[0].sizes or {})}
        dated = [f for f in parts if f.earliest]
        problems = sorted({f.integrity for f in parts} - {"ok", "not checked"})
        manifest = replace(parts[0].manifest, **{k: v for k, v in counts.items() if hasattr(parts[0].manifest, k)})
        return Facts(manifest, counts, min((f.earliest for f in dated), default=None),
                     max((f.latest for f in dated), default=None), max(f.generation for f in parts),
                     "; ".join(problems) or parts[0].integrity, segments=sum(f.segments for f in parts),
                     approximate=any(f.approximate for f in parts), sizes=sizes)


def _idf(frequency: int, documents: int) -> float:
    """BM25's idf, as tantivy computes it."""
    return math.log(1 + (documents - frequency + 0.5) / (frequency + 0.5))


def _reason(exc: BaseException, timeout: float) -> str:
    if isinstance(exc, TimeoutError) or type(exc).__name__ in ("TimeoutError", "GetTimeoutError"):
        return f"no answer within {timeout:g} s"
    return " ".join(str(exc).split())[:300] or type(exc).__name__


def open_any(path, model_id: str | None = None, timeout: float = SHARD_TIMEOUT_S) -> IndexReader | ShardedReader:
    """The index or the shard set at ``path``, opened for reading."""
    return open_shard_set(path, model_id, timeout) if is_shard_set(path) else open_reader(path, model_id)


def open_shard_set(path, model_id: str | None = None, timeout: float = SHARD_TIMEOUT_S) -> ShardedReader:
    """The shard set at ``path``, every shard opened on this machine (checked first)."""
    shards = read_shard_set(path)
    check_shards(shards, model_id)
    pool = ThreadPoolExecutor(max_workers=max(2, min(32, 2 * shards.count)), thread_name_prefix="shard")
    opened: list[LocalShard] = []
    try:
        for name, folder in zip(shards.names, shards.dirs):
            opened.append(LocalShard(name, open_reader(folder, model_id), pool))
        return ShardedReader(shards, opened, timeout, pool)
    except BaseException:
        for shard in opened:
            shard.close()
        pool.shutdown(wait=False)
        raise
