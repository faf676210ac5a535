"""What the index needs from an embedding model, and the sentence-transformers one.

Every embedder measures texts in its own word pieces (remembering recent lengths: the
chunker measures every piece, and the guard in ``embed`` would otherwise tokenize them all
a second time) and refuses a text it would silently truncate. Which model to load, and
from where, is :mod:`index.embed.loading`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Protocol, runtime_checkable

import numpy as np

from index.errors import ModelLoadError, TextTooLongError

log = logging.getLogger(__name__)

LENGTHS_REMEMBERED = 200_000  # texts; a chunked batch measures each piece once, then embeds it


@runtime_checkable
class Embedder(Protocol):
    """What the index needs from an embedding model."""

    model_id: str  # recorded in the manifest; equal ids mean interchangeable vectors
    dimension: int
    max_seq_length: int  # the longest input, in the model's own tokens, special tokens included

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        """Length of each text in the model's own tokens, special tokens included."""

    def embed(self, texts: Sequence[str], batch_size: int = 32) -> np.ndarray:
        """L2-normalized float32 vectors, one row per text; never truncates."""


class LengthMemo:
    """Word-piece lengths of recently measured texts, for any tokenizer."""

    def __init__(self, measure: Callable[[list[str]], list[int]]):
        self.measure = measure
        self._lengths: dict[str, int] = {}

    def __call__(self, texts: Sequence[str]) -> list[int]:
        todo = [t for t in dict.fromkeys(texts) if t not in self._lengths]
        if todo:
            if len(self._lengths) > LENGTHS_REMEMBERED:
                self._lengths.clear()
            self._lengths.update(zip(todo, self.measure(todo)))
        return [self._lengths[t] for t in texts]


class SentenceTransformerEmbedder:
    """A sentence-transformers model; refuses texts it would silently truncate."""

    def __init__(self, model_id: str, location: str, device: str = "cpu"):
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as hf_logging

        bar_was_on = hf_logging.is_progress_bar_enabled()
        hf_logging.disable_progress_bar()  # no "Loading weights" bar for a local model
        try:
            self.model = SentenceTransformer(location, device=device)
        except Exception as exc:  # the library raises OSError, ValueError, HF errors...
            raise ModelLoadError(f"cannot load embedding model {model_id!r} from {location}: {exc}") from exc
        finally:
            if bar_was_on:
                hf_logging.enable_progress_bar()
        self.model_id = model_id
        self.dimension = int(self.model.get_embedding_dimension())
        self.max_seq_length = int(self.model.max_seq_length)
        self.tokenizer = self.model.tokenizer
        self.count_tokens = LengthMemo(self._measure)

    def _measure(self, texts: list[str]) -> list[int]:
        encoded = self.tokenizer(texts, add_special_tokens=True, truncation=False, verbose=False,
                                 return_attention_mask=False, return_token_type_ids=False)
        return [len(ids) for ids in encoded["input_ids"]]

    def embed(self, texts: Sequence[str], batch_size: int = 32) -> np.ndarray:
        texts = list(texts)
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        check_lengths(self, texts)
        if len(texts) == 1:  # a question: skip encode()'s batching machinery, a few ms per call
            import torch

            with torch.inference_mode():
                vectors = self.model(self.model.preprocess(texts))["sentence_embedding"]
                return torch.nn.functional.normalize(vectors, dim=1).numpy().astype(np.float32)
        vectors = self.model.encode(
            texts, batch_size=batch_size, normalize_embeddings=True,
            convert_to_numpy=True, show_progress_bar=False,
        )
        return np.ascontiguousarray(vectors, dtype=np.float32)


def check_lengths(embedder: Embedder, texts: Sequence[str]) -> None:
    """Raise :class:`TextTooLongError` if any text exceeds the model's maximum length."""
    for text, count in zip(texts, embedder.count_tokens(texts)):
        if count > embedder.max_seq_length:
            preview = " ".join(text.split())[:60]
            raise TextTooLongError(
                f"text of {count} model tokens exceeds {embedder.model_id}'s maximum of "
                f"{embedder.max_seq_length} and would be truncated ({preview!r}...): "
                "split it into shorter pieces"
            )
