"""Sentence vectors on disk: 4-bit with one scale each, and every older kind still read."""

import numpy as np

from index.store import codec


def _unit(rows: np.ndarray) -> np.ndarray:
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def test_a_dense_unit_vector_takes_196_bytes_and_keeps_its_cosines():
    rng = np.random.default_rng(7)
    vectors = _unit(rng.standard_normal((400, 384)).astype(np.float32))
    blobs = [codec.encode(v) for v in vectors]
    assert {len(b) for b in blobs} == {196} and codec.stored_kind(blobs[0], 384) == codec.INT4
    decoded = codec.decode(blobs, 384)
    questions = _unit(rng.standard_normal((50, 384)).astype(np.float32))
    moved = np.abs(questions @ vectors.T - questions @ decoded.T)
    assert moved.mean() < 0.01 and moved.max() < 0.05
    assert np.abs(np.linalg.norm(decoded, axis=1) - 1).max() < codec.UNIT_TOLERANCE[codec.INT4]


def test_a_sparse_vector_keeps_its_direction():
    vector = np.zeros(512, dtype=np.float32)
    vector[[3, 90, 200, 201]] = [2.0, 1.0, 1.0, -1.0]
    vector /= np.linalg.norm(vector)
    decoded = codec.decode([codec.encode(vector)], 512)[0]
    assert float(decoded @ vector) / np.linalg.norm(decoded) > 0.99
    assert set(np.flatnonzero(decoded)) == {3, 90, 200, 201}


def test_odd_dimensions_and_zero_vectors_round_trip():
    vector = np.array([0.5, -0.5, 0.5, -0.5, 0.0], dtype=np.float32)
    blob = codec.encode(vector)
    assert len(blob) == 4 + 3 and codec.stored_kind(blob, 5) == codec.INT4
    assert np.allclose(codec.decode([blob], 5)[0], vector, atol=0.05)
    assert not codec.decode([codec.encode(np.zeros(5, dtype=np.float32))], 5).any()


def test_rows_written_by_earlier_versions_are_read_as_they_are():
    rng = np.random.default_rng(3)
    vector = _unit(rng.standard_normal((1, 384)).astype(np.float32))[0]
    eight_bit = codec.encode(vector, codec.INT8)
    float32 = vector.tobytes()
    assert (len(eight_bit), codec.stored_kind(eight_bit, 384)) == (388, codec.INT8)
    assert codec.stored_kind(float32, 384) == codec.FLOAT32
    assert codec.stored_kind(b"\x00" * 100, 384) is None  # a damaged row
    both = codec.decode([eight_bit, float32, codec.encode(vector)], 384)
    assert np.abs(both[0] - vector).max() < 0.01 and np.array_equal(both[1], vector)
    assert float(both[2] @ vector) > 0.99
