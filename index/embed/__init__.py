"""Text to vectors: the embedder protocol, the ONNX and sentence-transformers models, the
embedding cache."""

from index.embed.cache import CachedEmbedder, EmbeddingCache
from index.embed.embedder import Embedder
from index.embed.models import DEFAULT_MODEL, ONNX_MODEL, TORCH_MODEL, load_embedder, resolve_model

__all__ = [
    "CachedEmbedder", "DEFAULT_MODEL", "Embedder", "EmbeddingCache", "ONNX_MODEL", "TORCH_MODEL",
    "load_embedder", "resolve_model"
]
