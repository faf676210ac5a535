"""How a sentence vector is stored: 4-bit integers with one scale per vector.

A unit vector of 384 float32 (1,536 bytes) is kept as a float32 scale followed by 384
4-bit components, two to a byte (196 bytes). Sentence vectors were most of the database
(2.4 of 4.9 KB per passage at 300k passages when they took 8 bits); at 4 bits a cosine
moves by about 0.01, below the gaps the answering-sentence step decides on, and `qa eval`
on both dev sets does not move (docs/performance.md, "Disk"). Rows written by earlier
versions, 8-bit (388 bytes) or float32, are read as they are: the kind is the blob's length.
"""

from __future__ import annotations

import numpy as np

SCALE_BYTES = 4
INT4, INT8, FLOAT32 = "int4", "int8", "float32"
# how far from length 1 a stored vector may be (int4: a sparse vector rounds by up to ~15%)
UNIT_TOLERANCE = {FLOAT32: 1e-3, INT8: 2e-2, INT4: 0.2}
INT4_STEP = 0.36  # an int4 step, in root-mean-squares of a vector's components (the few beyond 8 steps: clipped)


def encode(vector: np.ndarray, kind: str = INT4) -> bytes:
    """One vector as bytes: a float32 scale, then its components in ``kind``. int8: the
    scale maps the largest component to 127. int4: of two scales, ``INT4_STEP`` times the
    components' root-mean-square (values beyond -8..7 clipped: on dense sentence vectors
    it moves a cosine less) and the largest component over 7 (better for sparse vectors),
    the one that rounds the vector closer; values stored plus 8, two to a byte, the first
    in the low half."""
    vector = np.asarray(vector, dtype=np.float32)
    peak = float(np.max(np.abs(vector))) if vector.size else 0.0
    if kind == INT8:
        scale = peak / 127 if peak > 0 else 1.0
        return np.float32(scale).tobytes() + np.round(vector / scale).astype(np.int8).tobytes()
    if peak == 0:
        scale, values = 1.0, np.zeros_like(vector)
    else:
        best = None
        for scale in (float(INT4_STEP * np.sqrt(np.mean(vector * vector))), peak / 7):
            values = np.clip(np.round(vector / scale), -8, 7)
            error = float(np.sum((values * scale - vector) ** 2))
            if best is None or error < best[0]:
                best = (error, scale, values)
        _, scale, values = best
    nibbles = (values + 8).astype(np.uint8)
    if nibbles.size % 2:
        nibbles = np.append(nibbles, np.uint8(8))
    return np.float32(scale).tobytes() + (nibbles[0::2] | (nibbles[1::2] << 4)).tobytes()


def stored_kind(blob: bytes, dimension: int) -> str | None:
    """INT4, INT8 or FLOAT32 by the blob's length (None: none of them, a damaged row)."""
    if len(blob) == SCALE_BYTES + (dimension + 1) // 2:
        return INT4
    if len(blob) == SCALE_BYTES + dimension:
        return INT8
    if len(blob) == 4 * dimension:
        return FLOAT32
    return None


def decode(blobs: list[bytes], dimension: int | None) -> np.ndarray:
    """Vectors (float32, one row each) from stored blobs of any kind (all float32 when the
    dimension is not known: an index from before these formats)."""
    if dimension is None:
        return np.frombuffer(b"".join(blobs), dtype=np.float32).reshape(len(blobs), -1)
    out = np.empty((len(blobs), dimension), dtype=np.float32)
    for row, blob in enumerate(blobs):
        kind = stored_kind(blob, dimension)
        if kind == FLOAT32:
            out[row] = np.frombuffer(blob, dtype=np.float32)
            continue
        scale = np.frombuffer(blob, dtype=np.float32, count=1)[0]
        if kind == INT8:
            out[row] = np.frombuffer(blob, dtype=np.int8, offset=SCALE_BYTES) * scale
        else:
            packed = np.frombuffer(blob, dtype=np.uint8, offset=SCALE_BYTES)
            values = np.empty(2 * packed.size, dtype=np.int8)
            values[0::2] = packed & 15
            values[1::2] = packed >> 4
            out[row] = (values[:dimension] - 8) * scale
    return out
