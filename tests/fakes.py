"""A deterministic hashing embedder behind the same interface as the real one."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import numpy as np

from index.embed.embedder import check_lengths
from index.text.vocabulary import terms


class HashingEmbedder:
    """Bag-of-words vectors from hashed terms: texts sharing words are similar.

    One "model token" per word plus two special tokens, like [CLS] ... [SEP].
    """

    def __init__(self, dimension: int = 512, max_seq_length: int = 256, model_id: str = "test/hashing"):
        self.model_id = model_id
        self.dimension = dimension
        self.max_seq_length = max_seq_length
        self.calls: list[int] = []  # how many texts each embed() call received

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        return [len(text.split()) + 2 for text in texts]

    def embed(self, texts: Sequence[str], batch_size: int = 32) -> np.ndarray:
        texts = list(texts)
        check_lengths(self, texts)
        self.calls.append(len(texts))
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for row, text in enumerate(texts):
            for term in terms(text):
                digest = hashlib.blake2b(term.encode(), digest_size=8).digest()
                value = int.from_bytes(digest, "little")
                out[row, value % self.dimension] += 1.0 if (value >> 32) & 1 else -1.0
            norm = np.linalg.norm(out[row])
            out[row] = out[row] / norm if norm else out[row]
            if not norm:
                out[row, 0] = 1.0
        return out
