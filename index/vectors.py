"""The FAISS vector index of chunks: exact inner product over normalized vectors.

Chunk ids are the SQLite chunk ids (stable 64-bit ids in an ``IndexIDMap2``). Files are
written to a temporary name and renamed into place, so a reader never sees half a file.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import faiss
import numpy as np

from index.errors import IndexCorruptError


class VectorIndex:
    """Chunk vectors by id; cosine similarity search."""

    def __init__(self, dimension: int, index: faiss.Index | None = None):
        self.dimension = dimension
        self.index = index if index is not None else faiss.IndexIDMap2(faiss.IndexFlatIP(dimension))
        self._ids: frozenset[int] | None = None  # built when first asked, dropped on change

    def __len__(self) -> int:
        return int(self.index.ntotal)

    def add(self, ids: list[int], vectors: np.ndarray) -> None:
        if len(ids) != len(vectors):
            raise ValueError(f"{len(ids)} ids for {len(vectors)} vectors")
        if len(ids):
            self.index.add_with_ids(_matrix(vectors, self.dimension), np.asarray(ids, dtype=np.int64))
            self._ids = None

    def remove(self, ids: list[int]) -> int:
        if not ids:
            return 0
        self._ids = None
        return int(self.index.remove_ids(np.asarray(ids, dtype=np.int64)))

    def __contains__(self, chunk_id: int) -> bool:
        if self._ids is None:
            self._ids = frozenset(self.ids().tolist())
        return chunk_id in self._ids

    def ids(self) -> np.ndarray:
        return faiss.vector_to_array(self.index.id_map).astype(np.int64)

    def search(self, query: np.ndarray, k: int, allowed: list[int] | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(ids, scores) of the ``k`` nearest chunks, best first; fewer if the index is small.

        With ``allowed``, only those ids are searched (a filter applied before ranking).
        """
        k = min(k, len(self) if allowed is None else len(allowed))
        if k == 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        params = None
        if allowed is not None:
            params = faiss.SearchParameters(sel=faiss.IDSelectorBatch(np.asarray(allowed, dtype=np.int64)))
        scores, ids = self.index.search(_matrix(query, self.dimension), k, params=params)
        keep = ids[0] >= 0
        return ids[0][keep], scores[0][keep]

    def vectors(self, ids: list[int]) -> np.ndarray:
        """The stored vectors of ``ids`` (which must exist)."""
        if not ids:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return np.stack([self.index.reconstruct(int(i)) for i in ids])

    def save(self, path: Path) -> tuple[str, int]:
        """Write atomically (a temporary file, fsync, rename over ``path``); (SHA-256, size)."""
        path = Path(path)
        data = faiss.serialize_index(self.index)
        digest = hashlib.sha256(data).hexdigest()
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        with open(tmp, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
        fsync_dir(path.parent)
        return digest, int(data.nbytes)

    @classmethod
    def load(cls, path: Path, dimension: int | None, sha256: str = "", nbytes: int = 0, fix: str = "") -> VectorIndex:
        """Read ``path``, checking its size and SHA-256 when they are given."""
        fix = fix or f"run `qa repair --index-dir {Path(path).parent}` to rebuild it from the stored texts"
        try:
            data = Path(path).read_bytes()
        except FileNotFoundError as exc:
            raise IndexCorruptError(f"the vector index {path} is missing: {fix}") from exc
        except OSError as exc:
            raise IndexCorruptError(f"cannot read the vector index {path} ({exc.strerror or exc}): {fix}") from exc
        if nbytes and len(data) != nbytes:
            raise IndexCorruptError(f"{path} is {len(data)} bytes, the index recorded {nbytes}: it is damaged: {fix}")
        if sha256 and hashlib.sha256(data).hexdigest() != sha256:
            raise IndexCorruptError(f"{path} does not match its recorded SHA-256 checksum: it is damaged: {fix}")
        try:
            index = faiss.deserialize_index(np.frombuffer(data, dtype=np.uint8))
        except RuntimeError as exc:
            raise IndexCorruptError(f"cannot read the vector index {path} ({' '.join(str(exc).split())[:200]}): "
                                    f"{fix}") from exc
        if dimension is not None and index.d != dimension:
            raise IndexCorruptError(f"{path} holds {index.d}-dimensional vectors, the manifest says "
                                    f"{dimension}: {fix}")
        return cls(index.d, index)


def fsync_dir(path: Path) -> None:
    """Make a rename in ``path`` durable."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _matrix(vectors: np.ndarray, dimension: int) -> np.ndarray:
    matrix = np.ascontiguousarray(np.atleast_2d(vectors), dtype=np.float32)
    if matrix.shape[1] != dimension:
        raise ValueError(f"vectors have dimension {matrix.shape[1]}, the index {dimension}")
    return matrix
