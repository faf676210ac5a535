"""One FAISS file of chunk vectors (a segment): exact inner product over normalized vectors,
or, for a large merged segment, IVF with 8-bit scalar quantization.

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

# IVF: about 4 x sqrt(n) lists; a question visits NPROBE_SHARE of them (at least NPROBE_MIN),
# which keeps recall@10 against exact search >= 0.98 (bench/scale.py measures it).
LISTS_PER_SQRT = 4
NPROBE_SHARE = 1 / 16
NPROBE_MIN = 16
TRAIN_SAMPLE = 100_000  # vectors the quantizers are trained on
EXACT_FILTER = 20_000  # a filter allowing fewer ids is searched exactly, whatever the index


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

    @classmethod
    def build(cls, dimension: int, ids: np.ndarray, vectors: np.ndarray, approximate: bool = False) -> VectorIndex:
        """A segment of ``vectors``: exact, or IVF-SQ8 trained on them when ``approximate``."""
        if not approximate:
            built = cls(dimension)
            built.add(list(ids), vectors)
            return built
        n = len(ids)
        lists = int(min(65536, max(64, LISTS_PER_SQRT * np.sqrt(n)), max(1, n // 39)))  # faiss: >= 39 per list
        ivf = faiss.IndexIVFScalarQuantizer(faiss.IndexFlatIP(dimension), dimension, lists,
                                            faiss.ScalarQuantizer.QT_8bit, faiss.METRIC_INNER_PRODUCT)
        sample = vectors if n <= TRAIN_SAMPLE else vectors[np.random.default_rng(0).choice(n, TRAIN_SAMPLE, False)]
        ivf.train(_matrix(sample, dimension))
        ivf.nprobe = max(NPROBE_MIN, int(lists * NPROBE_SHARE))
        index = faiss.IndexIDMap2(ivf)
        index.add_with_ids(_matrix(vectors, dimension), np.asarray(ids, dtype=np.int64))
        ivf.make_direct_map()
        return cls(dimension, index)

    @property
    def approximate(self) -> bool:
        return faiss.try_extract_index_ivf(self.index) is not None

    def search(self, query: np.ndarray, k: int, allowed: np.ndarray | list[int] | None = None,
               excluded: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(ids, scores) of the ``k`` nearest chunks, best first; fewer if the index is small.

        With ``allowed``, only those ids are searched (a filter applied before ranking);
        ``excluded`` ids (removed chunks) never come back.
        """
        k = min(k, len(self) if allowed is None else len(allowed))
        if k == 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        if allowed is not None and self.approximate and len(allowed) <= EXACT_FILTER:
            return self._exact_among(query, k, np.asarray(allowed, dtype=np.int64))
        selector = None
        if allowed is not None:
            selector = faiss.IDSelectorBatch(np.asarray(allowed, dtype=np.int64))
        elif excluded is not None and len(excluded):
            selector = faiss.IDSelectorNot(faiss.IDSelectorBatch(excluded))
        ivf = faiss.try_extract_index_ivf(self.index)
        params = (faiss.SearchParametersIVF(nprobe=ivf.nprobe, sel=selector) if ivf is not None
                  else faiss.SearchParameters(sel=selector) if selector is not None else None)
        scores, ids = self.index.search(_matrix(query, self.dimension), k, params=params)
        keep = ids[0] >= 0
        if ivf is not None and allowed is not None and keep.sum() < k:  # too few in the lists visited
            return self._exact_among(query, k, np.asarray(allowed, dtype=np.int64))
        return ids[0][keep], scores[0][keep]

    def _exact_among(self, query: np.ndarray, k: int, allowed: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        present = allowed[np.isin(allowed, self.ids())]
        if not len(present):
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        scores = self.vectors(present.tolist()) @ _matrix(query, self.dimension)[0]
        best = np.argsort(-scores, kind="stable")[:k]
        return present[best], scores[best].astype(np.float32)

    def vectors(self, ids: list[int]) -> np.ndarray:
        """The stored vectors of ``ids`` (which must exist)."""
        if not len(ids):
            return np.zeros((0, self.dimension), dtype=np.float32)
        return self.index.reconstruct_batch(np.asarray(ids, dtype=np.int64))

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
        """Open ``path`` memory-mapped (the vectors stay in the page cache, not in the process),
        checking its size and SHA-256 when they are given."""
        fix = fix or f"run `qa repair --index-dir {Path(path).parent}` to rebuild it from the stored texts"
        try:
            with open(path, "rb") as handle:
                size = os.fstat(handle.fileno()).st_size
                if nbytes and size != nbytes:
                    raise IndexCorruptError(f"{path} is {size} bytes, the index recorded {nbytes}: it is damaged: "
                                            f"{fix}")
                if sha256 and hashlib.file_digest(handle, "sha256").hexdigest() != sha256:
                    raise IndexCorruptError(f"{path} does not match its recorded SHA-256 checksum: it is damaged: "
                                            f"{fix}")
        except FileNotFoundError as exc:
            raise IndexCorruptError(f"the vector index {path} is missing: {fix}") from exc
        except OSError as exc:
            raise IndexCorruptError(f"cannot read the vector index {path} ({exc.strerror or exc}): {fix}") from exc
        try:
            index = faiss.read_index(str(path), faiss.IO_FLAG_MMAP_IFC | faiss.IO_FLAG_READ_ONLY)
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
