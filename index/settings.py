"""The one settings object: defaults in code, overridden by env vars, then by CLI flags.

Nothing here reads the environment at import time; :meth:`Settings.from_env` reads it
when it is called.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from index.errors import SettingsError

# all-MiniLM-L6-v2 in int8 ONNX: the same retrieval quality as the torch model on both dev
# sets, faster to ingest and to answer (README, "Embedding model"). The torch model stays
# selectable by name.
ONNX_MODEL = "all-MiniLM-L6-v2-onnx-int8"
DEFAULT_MODEL = ONNX_MODEL
TORCH_MODEL = "sentence-transformers/all-MiniLM-L6-v2"
RETRIEVALS = ("hybrid", "dense", "keyword")
# The confidence (qa/confidence.py) under which no passage is presented as an answer;
# fitted by bench/refusal.py on half of squad11-dev's articles.
MIN_SCORE = 0.61

# field name -> environment variable
ENV_VARS = {
    "index_dir": "QA_INDEX_DIR",
    "model": "QA_MODEL",
    "encoding": "QA_ENCODING",
    "chunk_tokens": "QA_CHUNK_TOKENS",
    "chunk_overlap": "QA_CHUNK_OVERLAP",
    "batch_size": "QA_BATCH_SIZE",
    "max_file_mb": "QA_MAX_FILE_MB",
    "offline": "QA_OFFLINE",
    "device": "QA_DEVICE",
    "top_k": "QA_TOP_K",
    "retrieval": "QA_RETRIEVAL",
    "rerank": "QA_RERANK",
    "candidates": "QA_CANDIDATES",
    "min_score": "QA_MIN_SCORE",
    "host": "QA_HOST",
    "port": "QA_PORT",
}

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


@dataclass(frozen=True)
class Settings:
    """Every knob of article-qa, with its default.

    ``index_dir``: the index directory. ``model``: a sentence-transformers model name or
    local path, or the int8 ONNX default; None means the model the index was built with
    (a new index: DEFAULT_MODEL). ``encoding``: the tiktoken encoding chunk sizes are counted in.
    ``chunk_tokens``/``chunk_overlap``: chunk window and overlap in tiktoken tokens.
    ``max_file_mb``: largest one-article file (and JSON Lines line) read.
    ``offline``: never reach a model hub (models must be installed or cached).
    ``retrieval``: hybrid (keyword + dense), dense or keyword. ``rerank``: none, sentence
    (best-sentence evidence from stored vectors) or ``cross-encoder:MODEL``.
    ``candidates``: how many passages each retriever proposes before fusion.
    ``min_score``: below this confidence (qa/confidence.py), nothing counts as an answer.
    """

    index_dir: Path = Path("index-data")
    model: str | None = None
    encoding: str = "cl100k_base"
    chunk_tokens: int = 200
    chunk_overlap: int = 40
    batch_size: int = 32
    max_file_mb: int = 20
    offline: bool = True
    device: str = "cpu"
    top_k: int = 5
    retrieval: str = "hybrid"
    rerank: str = "sentence"
    candidates: int = 50
    min_score: float = MIN_SCORE
    host: str = "127.0.0.1"
    port: int = 7860

    def __post_init__(self) -> None:
        object.__setattr__(self, "index_dir", Path(self.index_dir))
        if self.model is not None and not str(self.model).strip():
            raise SettingsError("model is empty: give a sentence-transformers model name or path")
        if self.chunk_tokens < 16:
            raise SettingsError(
                f"chunk_tokens={self.chunk_tokens} is too small: use at least 16 (default 200)"
            )
        if not 0 <= self.chunk_overlap < self.chunk_tokens:
            raise SettingsError(
                f"chunk_overlap={self.chunk_overlap} must be >= 0 and smaller than "
                f"chunk_tokens={self.chunk_tokens}: lower the overlap or raise the chunk size"
            )
        if self.batch_size < 1:
            raise SettingsError(f"batch_size={self.batch_size} must be at least 1")
        if self.max_file_mb < 1:
            raise SettingsError(f"max_file_mb={self.max_file_mb} must be at least 1")
        if self.retrieval not in RETRIEVALS:
            raise SettingsError(f"retrieval={self.retrieval!r} is not one of {', '.join(RETRIEVALS)}")
        if self.rerank not in ("none", "sentence", "reader") and not self.rerank.startswith("cross-encoder:"):
            raise SettingsError(f"rerank={self.rerank!r}: use none, sentence, reader, or cross-encoder:MODEL "
                                "(a sentence-transformers CrossEncoder name or path)")
        if not 5 <= self.candidates <= 1000:
            raise SettingsError(f"candidates={self.candidates} must be between 5 and 1000")
        if self.top_k < 1:
            raise SettingsError(f"top_k={self.top_k} must be at least 1")
        if not 0 < self.port < 65536:
            raise SettingsError(f"port={self.port} is not a TCP port: use 1-65535")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Defaults, then ``QA_*`` environment variables, then ``overrides`` (None = not given)."""
        environ = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        types = {f.name: f.type for f in dataclasses.fields(cls)}
        for name, var in ENV_VARS.items():
            raw = environ.get(var)
            if raw is not None and raw.strip() != "":
                values[name] = _convert(name, types[name], raw.strip(), var)
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)

    def replace(self, **changes: Any) -> Settings:
        """A copy with some fields changed (None values are ignored)."""
        return dataclasses.replace(self, **{k: v for k, v in changes.items() if v is not None})


def _convert(name: str, type_name: Any, raw: str, var: str) -> Any:
    kind = str(type_name)
    if kind == "int":
        try:
            return int(raw)
        except ValueError:
            raise SettingsError(f"{var}={raw!r} is not a whole number (for {name})") from None
    if kind == "float":
        try:
            return float(raw)
        except ValueError:
            raise SettingsError(f"{var}={raw!r} is not a number (for {name})") from None
    if kind == "bool":
        if raw.lower() in _TRUE:
            return True
        if raw.lower() in _FALSE:
            return False
        raise SettingsError(f"{var}={raw!r} is not a yes/no value: use 1 or 0")
    if kind == "Path":
        return Path(raw).expanduser()
    return raw
