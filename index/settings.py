"""The settings the index layer uses: defaults in code, overridden by env vars, then by flags.

:class:`qa.settings.Settings` extends them with the question-side ones; this is the part
index/ reads. Nothing here reads the environment at import time: :meth:`from_env` does,
when it is called.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from index.errors import SettingsError

MAX_FILE_MB = 20  # the largest one-article file, JSON Lines line or fetched page read (QA_MAX_FILE_MB)

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}
MIN_CHUNK_TOKENS = 16  # smaller windows hold less than a sentence
# How sentence vectors are made: each sentence through the model on its own (the default),
# or pooled from its chunk's one pass (about 1.45x faster ingest; docs/performance.md).
SENTENCE_VECTORS = ("encoded", "pooled")


@dataclass(frozen=True)
class IndexSettings:
    """Every knob of reading, chunking, embedding and storing articles, with its default.

    ``index_dir``: the index directory. ``model``: a sentence-transformers model name or
    local path, or the int8 ONNX default; None means the model the index was built with
    (a new index: the default). ``encoding``: the tiktoken encoding chunk sizes are counted
    in. ``chunk_tokens``/``chunk_overlap``: chunk window and overlap in tiktoken tokens.
    ``max_file_mb``: largest one-article file (and JSON Lines line) read. ``offline``:
    never reach a model hub (models must be installed or cached). ``sentence_vectors``:
    encoded or pooled; None means the index's own (a new index: encoded). ``fetch_deadline``:
    the seconds one url's fetch may take in all, however a server drips its bytes.
    """

    ENV_VARS: ClassVar[dict[str, str]] = {  # field name -> environment variable
        "index_dir": "QA_INDEX_DIR",
        "model": "QA_MODEL",
        "encoding": "QA_ENCODING",
        "chunk_tokens": "QA_CHUNK_TOKENS",
        "chunk_overlap": "QA_CHUNK_OVERLAP",
        "batch_size": "QA_BATCH_SIZE",
        "max_file_mb": "QA_MAX_FILE_MB",
        "offline": "QA_OFFLINE",
        "device": "QA_DEVICE",
        "sentence_vectors": "QA_SENTENCE_VECTORS",
        "ray_actor_cpus": "QA_RAY_ACTOR_CPUS",
        "fetch_deadline": "QA_FETCH_DEADLINE",
    }

    index_dir: Path = Path("index-data")
    model: str | None = None
    encoding: str = "cl100k_base"
    chunk_tokens: int = 200
    chunk_overlap: int = 40
    batch_size: int = 32
    max_file_mb: int = MAX_FILE_MB
    offline: bool = True
    device: str = "cpu"
    sentence_vectors: str | None = None
    ray_actor_cpus: int = 1  # cores each encoding actor of `qa ingest --ray` takes (and its model's threads)
    fetch_deadline: float = 60.0  # seconds for the whole of one url's fetch: connect, headers, body, redirects

    def __post_init__(self) -> None:
        object.__setattr__(self, "index_dir", Path(self.index_dir))
        if self.model is not None and not str(self.model).strip():
            raise SettingsError("model is empty: give a sentence-transformers model name or path")
        if self.ray_actor_cpus < 1:
            raise SettingsError(f"ray_actor_cpus={self.ray_actor_cpus} must be at least 1 (default 1)")
        if self.chunk_tokens < MIN_CHUNK_TOKENS:
            raise SettingsError(
                f"chunk_tokens={self.chunk_tokens} is too small: use at least {MIN_CHUNK_TOKENS} (default 200)")
        if not 0 <= self.chunk_overlap < self.chunk_tokens:
            raise SettingsError(
                f"chunk_overlap={self.chunk_overlap} must be >= 0 and smaller than "
                f"chunk_tokens={self.chunk_tokens}: lower the overlap or raise the chunk size"
            )
        if self.sentence_vectors not in (None, *SENTENCE_VECTORS):
            raise SettingsError(f"sentence_vectors={self.sentence_vectors!r}: use one of "
                                f"{', '.join(SENTENCE_VECTORS)}")
        if self.batch_size < 1:
            raise SettingsError(f"batch_size={self.batch_size} must be at least 1")
        if self.max_file_mb < 1:
            raise SettingsError(f"max_file_mb={self.max_file_mb} must be at least 1")
        if not 1 <= self.fetch_deadline <= 3600:
            raise SettingsError(f"fetch_deadline={self.fetch_deadline} must be between 1 and 3600 seconds")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any):
        """Defaults, then ``QA_*`` environment variables, then ``overrides`` (None = not given)."""
        environ = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        types = {f.name: f.type for f in dataclasses.fields(cls)}
        for name, var in cls.ENV_VARS.items():
            raw = environ.get(var)
            if raw is not None and raw.strip() != "":
                values[name] = _convert(name, types[name], raw.strip(), var)
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)

    @property
    def max_file_bytes(self) -> int:
        """``max_file_mb`` in bytes: the one spelling of the size limit."""
        return self.max_file_mb * 1_000_000

    def replace(self, **changes: Any):
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
