"""How a sentence vector is stored: 8-bit integers with one scale per vector.

A unit vector of 384 float32 (1,536 bytes) is kept as a float32 scale followed by 384
int8 components (388 bytes): small enough for SQLite to keep the row on its page instead
of spilling to an overflow page, which made a float32 row cost about 4.7 KB on disk. The
rounding moves a cosine by about 0.001, far below the gaps the answering-sentence step
decides on. Rows written as float32 (by earlier versions) are read as they are.
"""

from __future__ import annotations

import numpy as np

SCALE_BYTES = 4
UNIT_TOLERANCE = {np.float32: 1e-3, np.int8: 2e-2}  # how far from length 1 a stored vector may be


def encode(vector: np.ndarray) -> bytes:
    """One vector as bytes: float32 scale, then int8 components."""
    vector = np.asarray(vector, dtype=np.float32)
    peak = float(np.max(np.abs(vector))) if vector.size else 0.0
    scale = peak / 127 if peak > 0 else 1.0
    return np.float32(scale).tobytes() + np.round(vector / scale).astype(np.int8).tobytes()


def stored_kind(blob: bytes, dimension: int) -> type | None:
    """np.int8 or np.float32 by the blob's length (None: neither, a damaged row)."""
    if len(blob) == SCALE_BYTES + dimension:
        return np.int8
    if len(blob) == 4 * dimension:
        return np.float32
    return None


def decode(blobs: list[bytes], dimension: int | None) -> np.ndarray:
    """Vectors (float32, one row each) from stored blobs of either kind (all float32 when the
    dimension is not known: an index from before this format)."""
    if dimension is None:
        return np.frombuffer(b"".join(blobs), dtype=np.float32).reshape(len(blobs), -1)
    out = np.empty((len(blobs), dimension), dtype=np.float32)
    for row, blob in enumerate(blobs):
        if stored_kind(blob, dimension) is np.int8:
            scale = np.frombuffer(blob, dtype=np.float32, count=1)[0]
            out[row] = np.frombuffer(blob, dtype=np.int8, offset=SCALE_BYTES) * scale
        else:
            out[row] = np.frombuffer(blob, dtype=np.float32)
    return out
