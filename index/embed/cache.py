"""An embedding cache keyed by (model id, text hash), kept beside the index.

It lives in its own SQLite file that ``qa ingest --rebuild`` keeps, so rebuilding an index
with the same model embeds nothing that was embedded before, and a changed article only
embeds its changed chunks and sentences. Vectors of different models never mix: the
model id is part of the key.
"""

from __future__ import annotations

import hashlib
import logging
import os
import sqlite3
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from index.embed.embedder import Embedder
from index.errors import IndexCorruptError, SettingsError
from index.store import check_file

log = logging.getLogger(__name__)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS embeddings (
    model TEXT NOT NULL, text_hash BLOB NOT NULL, vector BLOB NOT NULL,
    PRIMARY KEY (model, text_hash)
) WITHOUT ROWID;
"""


def text_hash(text: str) -> bytes:
    return hashlib.sha256(text.encode("utf-8")).digest()[:16]


class EmbeddingCache:
    """The cache file. It is only ever a copy of what the model computes, so it never stops
    an ingest: a damaged file is set aside (renamed, and said in :attr:`notes`) and a new
    one started."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.notes: list[str] = []
        self._db: sqlite3.Connection | None = None
        self._open()

    def _open(self) -> None:
        try:
            if self.path.exists() and self.path.stat().st_size:
                check_file(self.path, "")
            self._db = sqlite3.connect(self.path, isolation_level=None)
            self._db.execute("PRAGMA journal_mode = WAL")
            self._db.executescript(_SCHEMA)
        except (sqlite3.Error, IndexCorruptError) as exc:
            self.set_aside(' '.join(str(exc).split()))
            self._db = sqlite3.connect(self.path, isolation_level=None)
            self._db.execute("PRAGMA journal_mode = WAL")
            self._db.executescript(_SCHEMA)

    def set_aside(self, reason: str) -> None:
        """Rename the cache file out of the way (it is only a copy) and note it."""
        if self._db is not None:
            self._db.close()
            self._db = None
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
        aside = self.path.with_name(f"{self.path.name}.damaged-{stamp}")
        for suffix in ("", "-wal", "-shm"):
            source = Path(f"{self.path}{suffix}")
            if source.exists():
                os.replace(source, Path(f"{aside}{suffix}"))
        note = (f"the embedding cache {self.path.name} was damaged ({reason}): set aside as {aside.name} "
                "(delete it when you like) and a new cache started")
        log.info(note)  # the ingest report says it
        self.notes.append(note)

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

    def get(self, model: str, hashes: Sequence[bytes]) -> dict[bytes, np.ndarray]:
        if self._db is None:
            return {}
        try:
            return self._get(model, hashes)
        except sqlite3.DatabaseError as exc:
            self._recover(exc)
            return {}

    def _get(self, model: str, hashes: Sequence[bytes]) -> dict[bytes, np.ndarray]:
        found: dict[bytes, np.ndarray] = {}
        for start in range(0, len(hashes), 500):
            part = list(hashes[start : start + 500])
            marks = ",".join("?" * len(part))
            rows = self._db.execute(
                f"SELECT text_hash, vector FROM embeddings WHERE model = ? AND text_hash IN ({marks})",
                [model, *part],
            )
            found.update((h, np.frombuffer(v, dtype=np.float32)) for h, v in rows)
        return found

    def put(self, model: str, hashes: Sequence[bytes], vectors: np.ndarray) -> None:
        if self._db is None:
            return
        rows = [(model, h, np.asarray(v, dtype=np.float32).tobytes()) for h, v in zip(hashes, vectors, strict=True)]
        try:
            self._db.execute("BEGIN")
            self._db.executemany("INSERT OR IGNORE INTO embeddings VALUES (?, ?, ?)", rows)
            self._db.execute("COMMIT")
        except sqlite3.DatabaseError as exc:
            self._recover(exc)

    def _recover(self, exc: sqlite3.DatabaseError) -> None:
        if isinstance(exc, sqlite3.OperationalError) and "malformed" not in str(exc):
            # busy, full or an I/O error: not damage; go on without the cache
            note = (f"the embedding cache {self.path.name} cannot be used ({' '.join(str(exc).split())}): "
                    "this run goes on without it")
            log.info(note)
            self.notes.append(note)
            self.close()
            self._db = None
            return
        self.set_aside(" ".join(str(exc).split()))
        self._open()


POOLED = "#pooled"  # cache namespace of a model's one-pass vectors (chunk, and sentences in it)


class CachedEmbedder:
    """An :class:`Embedder` that embeds only the texts the cache does not hold."""

    def __init__(self, inner: Embedder, cache: EmbeddingCache):
        self.inner = inner
        self.cache = cache
        self.model_id = inner.model_id
        self.dimension = inner.dimension
        self.max_seq_length = inner.max_seq_length
        self.embedded = 0  # texts that went through the model
        self.reused = 0  # texts served from the cache

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        return self.inner.count_tokens(texts)

    def embed(self, texts: Sequence[str], batch_size: int = 32) -> np.ndarray:
        texts = list(texts)
        hashes = [text_hash(t) for t in texts]
        found = {h: v for h, v in self.cache.get(self.model_id, hashes).items()
                 if v.shape == (self.dimension,) and np.isfinite(v).all()}  # a damaged row is a miss
        missing = list({h: t for h, t in zip(hashes, texts) if h not in found}.items())
        if missing:
            vectors = self.inner.embed([t for _, t in missing], batch_size=batch_size)
            self.cache.put(self.model_id, [h for h, _ in missing], vectors)
            found.update(zip((h for h, _ in missing), vectors))
        self.embedded += len(missing)
        self.reused += len(texts) - len(missing)
        out = np.empty((len(texts), self.dimension), dtype=np.float32)
        for row, h in enumerate(hashes):
            out[row] = found[h]
        return out

    def embed_chunks(self, texts: Sequence[str], spans: Sequence[Sequence[tuple[int, int]]],
                     batch_size: int = 32) -> tuple[np.ndarray, list[np.ndarray]]:
        """The model's ``embed_chunks`` for the chunks the cache does not hold whole (the
        chunk's vector and every pooled span's): a pooled span is cached under the chunk's
        text and its offsets, since its vector depends on the chunk around it."""
        if not hasattr(self.inner, "embed_chunks"):
            raise SettingsError(f"the model {self.model_id} cannot pool sentence vectors from its chunks: "
                                "use QA_SENTENCE_VECTORS=encoded (or --sentence-vectors encoded)")
        texts = list(texts)
        keys = [[text_hash(f"{t}\x00{s}:{e}") for s, e in chunk_spans] for t, chunk_spans in zip(texts, spans)]
        heads = [text_hash(t) for t in texts]
        wanted = heads + [k for chunk_keys in keys for k in chunk_keys]
        found = {h: v for h, v in self.cache.get(self.model_id + POOLED, wanted).items()
                 if v.shape == (self.dimension,) and np.isfinite(v).all()}
        todo = [i for i, h in enumerate(heads) if h not in found or any(k not in found for k in keys[i])]
        if todo:
            vectors, pooled = self.inner.embed_chunks([texts[i] for i in todo], [spans[i] for i in todo], batch_size)
            new_keys = [heads[i] for i in todo] + [k for i in todo for k in keys[i]]
            new_vectors = np.concatenate([vectors, *[p for p in pooled if len(p)]]) if todo else vectors
            self.cache.put(self.model_id + POOLED, new_keys, new_vectors)
            found.update(zip(new_keys, new_vectors))
        self.embedded += len(todo)
        self.reused += len(texts) - len(todo)
        chunk_vectors = np.stack([found[h] for h in heads]) if texts else np.zeros((0, self.dimension), np.float32)
        sentence_vectors = [np.stack([found[k] for k in chunk_keys]) if chunk_keys
                            else np.zeros((0, self.dimension), np.float32) for chunk_keys in keys]
        return chunk_vectors, sentence_vectors
