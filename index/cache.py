"""An embedding cache keyed by (model id, text hash), kept beside the index.

It lives in its own SQLite file that ``qa ingest --rebuild`` keeps, so rebuilding an index
with the same model embeds nothing that was embedded before, and a changed article only
embeds its changed chunks and sentences. Vectors of different models never mix: the
model id is part of the key.
"""

from __future__ import annotations

import hashlib
import logging
import sqlite3
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from index.embedder import Embedder

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
    def __init__(self, path: Path):
        self.path = Path(path)
        self._db = sqlite3.connect(self.path, isolation_level=None)
        self._db.execute("PRAGMA journal_mode = WAL")
        self._db.executescript(_SCHEMA)

    def close(self) -> None:
        self._db.close()

    def get(self, model: str, hashes: Sequence[bytes]) -> dict[bytes, np.ndarray]:
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
        rows = [(model, h, np.asarray(v, dtype=np.float32).tobytes()) for h, v in zip(hashes, vectors, strict=True)]
        self._db.execute("BEGIN")
        self._db.executemany("INSERT OR IGNORE INTO embeddings VALUES (?, ?, ?)", rows)
        self._db.execute("COMMIT")


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
        found = self.cache.get(self.model_id, hashes)
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
